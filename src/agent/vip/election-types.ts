// The public surface of the VIP election (election.ts): what the agent's glue calls and what it gets back.
import type { VipAdvert } from './advert.js';
import type { Followed } from './advert-cadence.js';
import type { Ballot } from './ballot.js';
import type { VipPolicyInput } from './policy.js';

export type VipAction = 'none' | 'probe' | 'claim' | 'renew' | 'release';
export type VipReason =
  | 'Initial'
  | 'HolderLost'
  | 'HolderReleased'
  | 'QuorumLost'
  | 'Outranked'
  | 'Conflict'
  | 'NotEligible'
  /** The kernel lost the address while this host held it (a late renewal refused, the lifetime ran out). */
  | 'LeaseExpired';

export interface VipDecision {
  action: VipAction;
  /** Set on claim and release: why the VIP moves (for the VipMoved event). */
  reason?: VipReason;
  /** Something peers act on changed (holding, vote, ballot, candidacy): send an advert now. */
  advertNow: boolean;
}

export interface ElectionSelf {
  hostId: string;
  /** Per agent start, larger than every earlier one (beacon/epoch.ts nextBootEpoch). */
  epoch: number;
}

export interface ElectionStatus {
  holding: boolean;
  /** The host this one believes holds the VIP (itself, or the best-ranked peer advertising it). */
  holder?: string;
  candidate: boolean;
  votes: number;
  needed: number;
  vote?: Ballot;
  policyVersion: number;
}

export interface Election {
  /** The clock value of the last evaluation of the rules (any input that reached them), -Infinity before. */
  readonly evaluatedAt: number;
  onAdvert(advert: VipAdvert, nowMs: number): VipDecision;
  onTick(nowMs: number, kernelHolding: boolean): VipDecision;
  onDad(clean: boolean, nowMs: number): VipDecision;
  advertFor(nowMs: number): VipAdvert;
  /** The holder this host follows (advert-cadence.ts): it holds nothing, probes nothing and votes for a
   * present peer that advertises the VIP; undefined otherwise. */
  follows(nowMs: number): Followed | undefined;
  setPolicy(policy: VipPolicyInput, nowMs: number): VipDecision;
  status(nowMs: number): ElectionStatus;
}
