// A scripted driver for table tests of election.ts: one real election ('a' by default) and peers whose
// adverts the test writes. Time moves in ticks of T; the election advertises every A; its decisions are
// applied to a one-bit kernel (claim/renew → present, release → absent) and DAD answers `dadClean`.
import type { VipAdvert } from '../../../../src/agent/vip/advert.js';
import {
  createElection,
  type Election,
  type VipAction,
  type VipDecision,
  type VipReason,
} from '../../../../src/agent/vip/election.js';
import type { VipPolicyInput } from '../../../../src/agent/vip/policy.js';

export const SELF_EPOCH = 7;

/** What a peer says; `vote: 'me'` votes for the election under test (its current ballot). */
export interface PeerScript {
  epoch?: number;
  gen?: number;
  holding?: boolean;
  quorum?: boolean;
  sees?: string[];
  policyVersion?: number;
  vote?: 'me' | { hostId: string; epoch: number; gen: number } | undefined;
  /** Age the peer reports for the echoed counter of ours. */
  ageMs?: number;
}

export type Script = (t: number) => Record<string, PeerScript | undefined>;

export interface Logged {
  at: number;
  action: VipAction;
  reason?: VipReason;
}

export const policy3 = (over: Partial<VipPolicyInput> = {}): VipPolicyInput => ({
  clusterName: 'site',
  vip: '100.64.192.1',
  policyVersion: 1,
  advertIntervalMs: 100,
  voters: ['a', 'b', 'c'],
  eligible: [
    { hostId: 'a', priority: 1 },
    { hostId: 'b', priority: 1 },
    { hostId: 'c', priority: 1 },
  ],
  ...over,
});

export class Harness {
  readonly e: Election;
  t = 0;
  kernel = false;
  dadClean = true;
  /** false: renewals are refused (the lease lapsed), as VipLease.renew() → 'lapsed'. */
  renewWorks = true;
  readonly log: Logged[] = [];
  /** Every advert the election sent. */
  readonly sent: VipAdvert[] = [];
  private readonly counters = new Map<string, number>();

  constructor(
    readonly policy: VipPolicyInput = policy3(),
    readonly self = 'a',
  ) {
    this.e = createElection({ hostId: self, epoch: SELF_EPOCH }, policy, 0);
  }

  /** Runs until `untilMs`: every T a tick, every A our advert and then every scripted peer's. */
  run(untilMs: number, script: Script = () => ({})): this {
    while (this.t < untilMs) {
      this.t += 50;
      if (this.t % 100 === 0) {
        this.sent.push(this.e.advertFor(this.t));
        for (const [id, s] of Object.entries(script(this.t))) if (s) this.feed(id, s);
      }
      this.apply(this.e.onTick(this.t, this.kernel));
    }
    return this;
  }

  /** One advert of `hostId` now. */
  feed(hostId: string, s: PeerScript): VipDecision {
    const d = this.e.onAdvert(this.advertOf(hostId, s), this.t);
    this.apply(d);
    return d;
  }

  advertOf(hostId: string, s: PeerScript): VipAdvert {
    const counter = (this.counters.get(hostId) ?? 0) + 1;
    this.counters.set(hostId, counter);
    const p = this.policy;
    const last = this.sent.at(-1);
    let vote: VipAdvert['vote'];
    if (s.vote === 'me' && last)
      vote = {
        hostId: this.self,
        epoch: SELF_EPOCH,
        gen: last.gen,
        counter: last.counter,
        ageMs: s.ageMs ?? 0,
      };
    else if (s.vote && s.vote !== 'me') vote = { ...s.vote, counter: 1, ageMs: 0 };
    return {
      clusterName: 'site',
      hostId,
      epoch: s.epoch ?? 100,
      counter,
      policyVersion: s.policyVersion ?? p.policyVersion,
      gen: s.gen ?? 1,
      holding: s.holding ?? false,
      quorum: s.quorum ?? true,
      sees: s.sees ?? p.voters.filter((v) => v !== hostId),
      ...(vote ? { vote } : {}),
    };
  }

  apply(d: VipDecision): void {
    if (d.action === 'none') return;
    this.log.push({ at: this.t, action: d.action, ...(d.reason ? { reason: d.reason } : {}) });
    if (d.action === 'claim' || (d.action === 'renew' && this.renewWorks)) this.kernel = true;
    if (d.action === 'release') this.kernel = false;
    if (d.action === 'probe') this.apply(this.e.onDad(this.dadClean, this.t));
  }

  /** Claims and releases only (renew and probe are routine). */
  moves(): Logged[] {
    return this.log.filter((l) => l.action === 'claim' || l.action === 'release');
  }

  first(action: VipAction): Logged | undefined {
    return this.log.find((l) => l.action === action);
  }
}

/** Everyone else present, a candidate, voting for the election under test. */
export const allVoteMe =
  (ids: string[], over: PeerScript = {}): Script =>
  () =>
    Object.fromEntries(ids.map((id) => [id, { vote: 'me' as const, ...over }]));
