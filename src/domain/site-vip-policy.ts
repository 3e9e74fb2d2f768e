// The control plane's half of the site VIP election (issue 13), pure: who votes, who may hold the VIP, how
// the voter set changes safely, and what a host's report does to the recorded holder. The workflow keeps
// this state in SiteVipSnapshot (carried across continue-as-new) and calls these rules.
//
// Why voters change one host at a time: a host counts only adverts of its own policyVersion, so hosts on two
// versions form two separate elections. Two versions whose voter sets differ by one host cannot both have a
// majority (disjoint subsets, each more than half of sets that differ by one, need more hosts than the union
// has); sets that differ by two can (3 → 5 voters: 2 of {a,b,c} on the old version, {c,d,e}… on the new).
// Raft's single-server rule: a voter change is made only once the current version is COMMITTED, i.e. a
// majority of its voters has it (or never had any policy, so can only ever get this one or a newer one).
// From then on no majority can form on any older version again (its members left it for good), so at most
// two consecutive voter sets are live at once, and they differ by one host.
import { z } from 'zod';
import { MAX_VIP_VOTERS, type SiteVipPolicyInput } from './site-vip.js';
import type { HostRole, HostState } from './types.js';
import { hostIdSchema } from './validation.js';

/** Carried in the cluster snapshot when the cluster was created under 'site-vip-election'. Every map is
 * keyed by a current member (entries leave with the host), so its size is bounded by the membership. */
export interface SiteVipSnapshot {
  /** 0 until the first policy. */
  policyVersion: number;
  /** Voters and eligible hosts (in priority order, highest first) of policyVersion. */
  voters: string[];
  eligible: string[];
  /** Control-plane members in the order they were requested (create request, then each add): the rank. */
  order: string[];
  /** hostId → [highest policy version ever sent, highest acknowledged (0: none)]. */
  pushes: Record<string, [number, number]>;
  /** hostId → [seq, holding] of its last applied VIP report. */
  reports: Record<string, [number, boolean]>;
}

const version = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const siteVipSnapshotSchema = z.object({
  policyVersion: version,
  voters: z.array(hostIdSchema).max(MAX_VIP_VOTERS),
  eligible: z.array(hostIdSchema).max(MAX_VIP_VOTERS),
  order: z.array(hostIdSchema).max(10_000),
  pushes: z.record(hostIdSchema, z.tuple([version, version])),
  reports: z.record(hostIdSchema, z.tuple([z.number().int().positive(), z.boolean()])),
});

export const emptySiteVip = (order: readonly string[]): SiteVipSnapshot => ({
  policyVersion: 0,
  voters: [],
  eligible: [],
  order: [...order],
  pushes: {},
  reports: {},
});

export interface VipMember {
  hostId: string;
  role: HostRole;
  state: HostState;
}

/** States in which a control-plane host can run (or soon run) an elector: it counts for the majority. */
const VOTING: ReadonlySet<HostState> = new Set(['Pending', 'Joining', 'Joined', 'Lost']);
/** States in which it may hold the VIP: Joined, or Lost (the control plane lost touch; the site may not). */
const ELIGIBLE: ReadonlySet<HostState> = new Set(['Joined', 'Lost']);

/** The voters the policy should have: control-plane members that can run an elector, by rank, at most 9. */
export function targetVoters(order: readonly string[], members: ReadonlyMap<string, VipMember>): string[] {
  return order
    .filter((id) => {
      const m = members.get(id);
      return m !== undefined && m.role === 'control-plane' && VOTING.has(m.state);
    })
    .slice(0, MAX_VIP_VOTERS);
}

/** Voters that may hold the VIP, in priority order. */
export function eligibleOf(voters: readonly string[], members: ReadonlyMap<string, VipMember>): string[] {
  return voters.filter((id) => {
    const state = members.get(id)?.state;
    return state !== undefined && ELIGIBLE.has(state);
  });
}

/** True when a majority of the current voters has the current version, or never had any policy. */
export function committed(s: Readonly<SiteVipSnapshot>): boolean {
  const have = s.voters.filter((id) => {
    const [sent, acked] = s.pushes[id] ?? [0, 0];
    return sent === 0 || acked >= s.policyVersion;
  });
  return have.length * 2 > s.voters.length;
}

/**
 * The voter set of the next version: the target itself when it differs from the current set by at most one
 * host, or when no policy was ever issued (no host has one to disagree with); otherwise ONE step towards it
 * (a removal first: it makes majorities easier, not harder), and only once the current version is committed.
 * Returned in rank order.
 */
export function nextVoters(
  s: Readonly<SiteVipSnapshot>,
  target: readonly string[],
  rank: readonly string[],
): string[] {
  const current = s.voters;
  if (s.policyVersion === 0 || current.length === 0) return [...target];
  const removed = current.filter((id) => !target.includes(id));
  const added = target.filter((id) => !current.includes(id));
  if (removed.length + added.length === 0) return [...current];
  if (!committed(s)) return [...current];
  if (removed.length + added.length === 1) return [...target];
  const next = removed.length > 0 ? current.filter((id) => id !== removed[0]) : [...current, added[0]!];
  return next.sort((a, b) => rank.indexOf(a) - rank.indexOf(b));
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** The next (voters, eligible), or null when the current version already says it. Eligible hosts are
 * always voters of the same version. */
export function nextPolicy(
  s: Readonly<SiteVipSnapshot>,
  members: ReadonlyMap<string, VipMember>,
): { voters: string[]; eligible: string[] } | null {
  const voters = nextVoters(s, targetVoters(s.order, members), s.order);
  if (voters.length === 0) return null; // no control-plane host left: the last policy stays as it was
  const eligible = eligibleOf(voters, members);
  if (s.policyVersion > 0 && sameList(voters, s.voters) && sameList(eligible, s.eligible)) return null;
  return { voters, eligible };
}

/** The policy a voter gets with its peer table: priorities by rank, first = highest; the advert interval
 * is the agents' default. */
export function policyOf(s: Readonly<SiteVipSnapshot>): SiteVipPolicyInput {
  const n = s.voters.length;
  return {
    policyVersion: s.policyVersion,
    voters: [...s.voters],
    eligible: s.eligible.map((hostId) => ({ hostId, priority: n - s.voters.indexOf(hostId) })),
  };
}

/** What one host's (new, in-sequence) report does to the recorded holder. */
export type ReportEffect =
  | { kind: 'none' }
  | { kind: 'moved'; from: string | null; to: string | null }
  | { kind: 'lateRelease' };

/**
 * holding=true from X: X holds (from the previous holder, if another). holding=false from the holder: the
 * holder is the other host whose last report says it holds (its claim overtook this release), else nobody.
 * holding=false from anybody else: a release that arrived after someone else's claim (recorded, no move).
 * `holdingOthers` are the members other than the reporter whose last report says holding, by rank.
 */
export function reportEffect(
  holder: string | null,
  hostId: string,
  holding: boolean,
  holdingOthers: readonly string[],
): ReportEffect {
  if (holding) return holder === hostId ? { kind: 'none' } : { kind: 'moved', from: holder, to: hostId };
  if (holder !== hostId) return { kind: 'lateRelease' };
  return { kind: 'moved', from: hostId, to: holdingOthers[0] ?? null };
}
