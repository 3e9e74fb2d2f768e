// The VIP policy the control plane sets for a cluster's control-plane hosts, the time windows derived from
// it, and the rank order of eligible hosts. Pure: no I/O, no clock.
//
// The control plane decides only WHO may hold the VIP (eligible, priority) and who counts for the majority
// (voters); the hosts elect the holder among themselves (election.ts).
import type { z } from 'zod';
import { eligibleAreVoters, siteVipPolicyFields } from '../../domain/site-vip.js';
import { clusterNameSchema, ipv4Schema } from '../../domain/validation.js';

export const vipPolicySchema = eligibleAreVoters(
  siteVipPolicyFields.extend({ clusterName: clusterNameSchema, vip: ipv4Schema }),
);

export type VipPolicy = z.infer<typeof vipPolicySchema>;
export type VipPolicyInput = z.input<typeof vipPolicySchema>;

/**
 * All derived from the advert interval A (defaults in brackets for A = 100 ms). See election.ts for the
 * safety argument that ties them together.
 */
export interface VipWindows {
  /** A: one advert per A from every host [100]. */
  advertMs: number;
  /** T = A/2: how often the agent evaluates the rules [50]. */
  tickMs: number;
  /** A peer is PRESENT (votes go to it, it may outrank) while its last advert is younger than this [250]. */
  freshMs: number;
  /** W_h = 3A: a vote counts this long after the advert it answers was sent + the age the voter reports [300]. */
  holdMs: number;
  /** W_s = 6A: a peer is SEEN (listed in `sees`, its `holding` blocks claims) this long [600]. */
  seenMs: number;
  /** D = W_h + 2A: a voter moves its vote to another host only this long after it last advertised the old
   * one (unless that host gave the ballot up); D > W_h + T + max action delay (50 ms) is the safety margin [500]. */
  promiseMs: number;
  /** A fresh agent (or one with a new policy) neither votes nor claims this long: max(W_s, D) [600]. */
  holdDownMs: number;
  /** DAD is retried this often until it is clean [100]. */
  dadRetryMs: number;
  /** A clean DAD may be used by a claim this long after it (it runs ahead of the claim, dad-ahead.ts): D,
   * the longest a successor waits for its votes once the holder is absent [500]. */
  dadFreshMs: number;
  /** The holder renews its kernel lease this often: 2A, less for a slow A [200]. A renewal comes at most
   * T + the action delay later, well within the lease's limit for a renewal (kernel-lease.ts maxRenewGapMs,
   * lifetime / 2 = 500 ms); renewing every A cost a kernel change, an `ip` wake-up and an `ip monitor`
   * event twice as often for nothing: only the holder's own renewals keep its copy, and after a SIGKILL the
   * copy lives at most a lifetime past the last one, whatever the interval. */
  renewMs: number;
}

/** The VIP's kernel lifetime (s): a SIGKILLed holder's copy lives at most this long past its last renewal. */
export const VIP_LIFETIME_S = 1;

export function windowsOf(policy: Pick<VipPolicy, 'advertIntervalMs'>): VipWindows {
  const a = policy.advertIntervalMs;
  const holdMs = 3 * a;
  const seenMs = 6 * a;
  const promiseMs = holdMs + 2 * a;
  return {
    advertMs: a,
    tickMs: a / 2,
    freshMs: 2.5 * a,
    holdMs,
    seenMs,
    promiseMs,
    holdDownMs: Math.max(seenMs, promiseMs),
    dadRetryMs: a,
    dadFreshMs: promiseMs,
    // The lease refuses a renewal more than half the VIP's lifetime after the last one (kernel-lease.ts), and
    // a renewal comes up to T + the action delay (50 ms) after it is due: keep 50 ms more in hand.
    renewMs: Math.min(2 * a, (VIP_LIFETIME_S * 1000) / 2 - a / 2 - 100),
  };
}

/** A strict majority of the policy's voters. 1 of 1 is a majority; with 2 voters both are needed. */
export const majority = (policy: Pick<VipPolicy, 'voters'>): number =>
  Math.floor(policy.voters.length / 2) + 1;

export const priorityOf = (policy: VipPolicy, hostId: string): number | undefined =>
  policy.eligible.find((e) => e.hostId === hostId)?.priority;

export const isEligible = (policy: VipPolicy, hostId: string): boolean =>
  priorityOf(policy, hostId) !== undefined;

export const isVoter = (policy: VipPolicy, hostId: string): boolean => policy.voters.includes(hostId);

/**
 * Negative when `a` ranks better than `b`: higher priority wins, ties go to the lexicographically smaller
 * host id (so every host orders the same way). Non-eligible hosts rank below every eligible one.
 */
export function compareRank(policy: VipPolicy, a: string, b: string): number {
  const pa = priorityOf(policy, a) ?? -1;
  const pb = priorityOf(policy, b) ?? -1;
  if (pa !== pb) return pb - pa;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const ranksBetter = (policy: VipPolicy, a: string, b: string): boolean =>
  compareRank(policy, a, b) < 0;

/** True when two policies of the same version say the same (a repeated delivery changes nothing). */
export function samePolicy(a: VipPolicy, b: VipPolicy): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** True when the majority is counted over the same hosts (votes already counted stay valid). */
export function sameVoters(a: VipPolicy, b: VipPolicy): boolean {
  return a.voters.length === b.voters.length && a.voters.every((v) => b.voters.includes(v));
}
