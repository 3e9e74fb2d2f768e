// The site VIP election of one host, as a PURE state machine: no I/O, no clock of its own.
// Glue contract (the safety argument relies on it): feed verified adverts (onAdvert), a tick every T
// (onTick) with the kernel truth READ AFTER every action decided earlier was applied (apply actions one
// at a time, in order: probe = DAD, claim = add with lifetime + gratuitous ARP, renew = refresh the
// lifetime, release = ip addr del); tick once at start before the first advert; report each DAD result
// at once (onDad); send advertFor(now) every A and whenever a decision says advertNow; pass policies
// (setPolicy); use one monotonic clock. A refused ('lapsed') renewal simply shows at the next tick.
// Rules (vip-design.md), with VOTES (ballot.ts) so that a non-transitive partition — H↔z↔S with H and S
// cut apart — cannot give H and S a majority each through the same z:
//  - a candidate is eligible, past its hold-down and seen by a majority (`quorum` in its advert);
//  - a voter votes for the best-ranked present candidate but stays with a present holder, and moves only
//    as its promise allows; a fresh agent votes for nobody during its hold-down;
//  - a host claims when its ballot has a majority of votes, no seen host advertises the VIP and a DAD
//    was clean within D (it runs ahead of the claim, dad-ahead.ts); a holder releases at once when not
//    eligible (NotEligible), a better-ranked host also holds (Conflict), a better-ranked candidate is
//    present (Outranked), its votes fall below a majority (QuorumLost) or the kernel lost the address
//    (LeaseExpired);
//  - a VIP in the kernel that this run did not claim is released: a host never claims from its state.
import type { VipAdvert } from './advert.js';
import type { Followed } from './advert-cadence.js';
import type { Election, ElectionSelf, ElectionStatus, VipDecision } from './election-types.js';
import { type Ballot, keepPromise, laterBallot, mayVoteFor, sameBallot, type VotePromise } from './ballot.js';
import { DadAhead } from './dad-ahead.js';
import { LastHolder } from './last-holder.js';
import { releaseReason } from './release-reason.js';
import { PeerTable } from './peers.js';
import {
  isEligible,
  isVoter,
  majority,
  priorityOf,
  samePolicy,
  sameVoters,
  type VipPolicy,
  type VipPolicyInput,
  type VipWindows,
  vipPolicySchema,
  windowsOf,
} from './policy.js';

export type * from './election-types.js';

const NONE: VipDecision = { action: 'none', advertNow: false };

export function createElection(self: ElectionSelf, policy: VipPolicyInput, startedAtMs: number): Election {
  return new VipElection(self, vipPolicySchema.parse(policy), startedAtMs);
}

class VipElection implements Election {
  evaluatedAt = Number.NEGATIVE_INFINITY;
  private win: VipWindows;
  private policyAt: number;
  private readonly peers = new PeerTable();
  private readonly sent = new Map<number, number>();
  private counter = 0;
  private gen = 1;
  private holding = false;
  private kernel = false;
  /** Until the first tick reads the kernel, a VIP may be there (a previous run's): assume it is. */
  private kernelKnown = false;
  private renewedAt = Number.NEGATIVE_INFINITY;
  private claimedAt = Number.NEGATIVE_INFINITY;
  private releasedAt = Number.NEGATIVE_INFINITY;
  private vote: Ballot | undefined;
  private promise: VotePromise | undefined;
  private readonly dad = new DadAhead();
  private readonly lastHolder = new LastHolder();

  constructor(
    private readonly self: ElectionSelf,
    private policy: VipPolicy,
    private readonly startedAt: number,
  ) {
    this.win = windowsOf(policy);
    this.policyAt = startedAt;
  }

  onAdvert(advert: VipAdvert, nowMs: number): VipDecision {
    const recorded = this.peers.record(advert, nowMs, {
      self: this.self,
      policy: this.policy,
      holdMs: this.win.holdMs,
      sentAt: (c) => this.sent.get(c),
    });
    if (!recorded) return NONE;
    this.lastHolder.seen(advert);
    return this.step(nowMs, () => this.decide(nowMs));
  }

  onTick(nowMs: number, kernelHolding: boolean): VipDecision {
    return this.step(nowMs, () => {
      this.kernel = kernelHolding;
      this.kernelKnown = true;
      return this.decide(nowMs);
    });
  }

  onDad(clean: boolean, nowMs: number): VipDecision {
    return this.step(nowMs, () => {
      this.dad.result(clean, nowMs);
      return this.decide(nowMs); // claims at once when every rule holds, else later while the result is fresh
    });
  }

  advertFor(nowMs: number): VipAdvert {
    this.updateVote(nowMs);
    this.counter += 1;
    this.sent.set(this.counter, nowMs);
    // A vote's lease also covers its reported age: keep send times a little longer than W_h.
    for (const [c, at] of this.sent) if (at <= nowMs - 2 * this.win.holdMs) this.sent.delete(c);
    const v = this.vote;
    if (v) this.promise = keepPromise(this.promise, v, nowMs, this.win.promiseMs);
    const echo =
      v?.hostId === this.self.hostId
        ? { counter: this.counter, ageMs: 0 }
        : v && this.peers.echo(v.hostId, nowMs);
    const priority = priorityOf(this.policy, this.self.hostId);
    return {
      clusterName: this.policy.clusterName,
      hostId: this.self.hostId,
      epoch: this.self.epoch,
      counter: this.counter,
      policyVersion: this.policy.policyVersion,
      ...(priority !== undefined ? { priority } : {}),
      gen: this.gen,
      holding: this.vipPresent(),
      quorum: this.isCandidate(nowMs),
      sees: this.peers.seen(this.policy, nowMs, this.win.seenMs),
      ...(v && echo ? { vote: { ...v, ...echo } } : {}),
    };
  }

  follows(nowMs: number): Followed | undefined {
    const v = this.vote;
    if (this.vipPresent() || this.dad.probing || !v || v.hostId === this.self.hostId) return;
    const e = this.peers.holding(v, this.policy, nowMs, this.win.freshMs);
    return e && { hostId: e.advert.hostId, receivedAt: e.receivedAt };
  }

  setPolicy(input: VipPolicyInput, nowMs: number): VipDecision {
    const next = vipPolicySchema.parse(input);
    if (next.clusterName !== this.policy.clusterName)
      throw new Error('a VIP policy of another cluster needs a new election');
    if (next.policyVersion < this.policy.policyVersion) return NONE;
    if (next.policyVersion === this.policy.policyVersion && samePolicy(next, this.policy)) return NONE;
    // Votes already counted stay valid only over the same voters (each was promised under its own D).
    this.peers.retain(next, sameVoters(next, this.policy));
    this.policy = next;
    this.win = windowsOf(next);
    this.policyAt = nowMs;
    return this.step(nowMs, () => this.decide(nowMs));
  }

  status(nowMs: number): ElectionStatus {
    const holder = this.holding
      ? this.self.hostId
      : this.peers.bestHolder(this.policy, nowMs, this.win.seenMs);
    return {
      holding: this.holding,
      ...(holder ? { holder } : {}),
      candidate: this.isCandidate(nowMs),
      votes: this.votes(nowMs),
      needed: majority(this.policy),
      ...(this.vote ? { vote: this.vote } : {}),
      policyVersion: this.policy.policyVersion,
    };
  }

  /** Runs one evaluation and tells the glue to advertise when anything peers act on changed. */
  private step(nowMs: number, run: () => VipDecision): VipDecision {
    this.evaluatedAt = nowMs;
    const before = this.fingerprint(nowMs);
    const d = run();
    return { ...d, advertNow: d.advertNow || before !== this.fingerprint(nowMs) };
  }

  private fingerprint(nowMs: number): string {
    const v = this.vote;
    return `${this.vipPresent()}|${this.gen}|${this.isCandidate(nowMs)}|${v ? `${v.hostId}/${v.epoch}/${v.gen}` : '-'}`;
  }

  private decide(nowMs: number): VipDecision {
    if (this.holding) {
      // The add lands within the action delay; after 2A an absent address means the lease lapsed.
      const lapsed = !this.kernel && nowMs - this.claimedAt >= 2 * this.win.advertMs;
      const { policy, peers, win } = this;
      const why = releaseReason(this.self.hostId, policy, peers, win, this.votes(nowMs), nowMs);
      const reason = why ?? (lapsed ? 'LeaseExpired' : undefined);
      if (reason) {
        this.holding = false;
        this.gen += 1; // the ballot is given up: no vote for it counts any more
        this.releasedAt = nowMs;
        this.updateVote(nowMs);
        return { action: 'release', reason, advertNow: true };
      }
      if (nowMs - this.renewedAt < this.win.renewMs) return NONE;
      this.renewedAt = nowMs;
      this.kernel = true;
      return { action: 'renew', advertNow: false };
    }
    this.updateVote(nowMs);
    if (this.kernel && nowMs - this.releasedAt >= 2 * this.win.advertMs) {
      // A copy this run does not hold: a previous run's (restart) or a release that did not take.
      this.releasedAt = nowMs;
      return { action: 'release', reason: 'QuorumLost', advertNow: true };
    }
    const can = this.canClaim(nowMs);
    if (can && this.dad.isFresh(nowMs, this.win)) return this.claim(nowMs);
    if (!(can || this.claimsSoon(nowMs)) || !this.dad.mayStart(nowMs, this.win)) return NONE;
    this.dad.started(nowMs);
    return { action: 'probe', advertNow: false };
  }

  private claim(nowMs: number): VipDecision {
    const reason = this.lastHolder.claimReason(this.policy, this.self.hostId);
    this.holding = true;
    this.kernel = true; // the add is on its way: "present" until a tick reads the kernel after it
    this.renewedAt = nowMs;
    this.claimedAt = nowMs;
    this.lastHolder.claimed(this.self.hostId);
    this.dad.used();
    return { action: 'claim', reason, advertNow: true };
  }

  /** Claims once votes and W_s allow (dad-ahead.ts): no VIP, no present holder, the best candidate. */
  private claimsSoon(nowMs: number): boolean {
    // cheap checks first: a follower of a present holder stops at the second
    if (this.vipPresent() || this.peers.holdersSeen(nowMs, this.win.freshMs).length > 0) return false;
    if (!this.isCandidate(nowMs)) return false;
    return (
      this.peers.best(this.policy, nowMs, this.win.freshMs, this.ownBallot())?.hostId === this.self.hostId
    );
  }

  private canClaim(nowMs: number): boolean {
    return (
      !this.vipPresent() &&
      this.isCandidate(nowMs) &&
      sameBallot(this.vote, this.ownBallot()) &&
      this.votes(nowMs) >= majority(this.policy) &&
      this.peers.holdersSeen(nowMs, this.win.seenMs).length === 0
    );
  }

  private vipPresent(): boolean {
    return this.holding || this.kernel || !this.kernelKnown;
  }

  private ownBallot(): Ballot {
    return { hostId: this.self.hostId, epoch: this.self.epoch, gen: this.gen };
  }

  /** Votes for this host's current ballot, its own included. */
  private votes(nowMs: number): number {
    const own = sameBallot(this.vote, this.ownBallot()) ? 1 : 0;
    return own + this.peers.votesFor(this.gen, nowMs).length;
  }

  /** Eligible, past the hold-down of its start and of its last policy change, seen by a majority. */
  private isCandidate(nowMs: number): boolean {
    const me = this.self.hostId;
    if (!isEligible(this.policy, me) || !isVoter(this.policy, me)) return false;
    if (nowMs - Math.max(this.startedAt, this.policyAt) < this.win.holdDownMs) return false;
    return 1 + this.peers.seenBy(me, this.policy, nowMs, this.win.holdMs) >= majority(this.policy);
  }

  /** A vote stays with its ballot while that is still wanted, or while its owner holds and is present. */
  private keeps(cur: Ballot, want: Ballot | undefined, nowMs: number): boolean {
    if (cur.hostId === this.self.hostId) return sameBallot(cur, want) && sameBallot(cur, this.ownBallot());
    return this.peers.backs(cur, want, this.policy, nowMs, this.win.freshMs);
  }

  private updateVote(nowMs: number): void {
    // A fresh run does not know whom its previous run promised: it votes for nobody until that expired.
    const fresh = nowMs - this.startedAt < this.win.holdDownMs;
    const own = this.ownBallot();
    const cur = this.vote;
    const want = this.peers.best(
      this.policy,
      nowMs,
      this.win.freshMs,
      this.isCandidate(nowMs) ? own : undefined,
    );
    if (this.holding || fresh) this.vote = this.holding ? own : undefined;
    else if (!cur || !this.keeps(cur, want, nowMs)) {
      if (cur?.hostId === this.self.hostId && !laterBallot(own, cur)) this.gen += 1;
      const ctx = {
        selfHostId: this.self.hostId,
        own: this.ownBallot(),
        ownVipPresent: this.vipPresent(),
        latest: (h: string) => this.peers.latest(h),
      };
      this.vote = want && mayVoteFor(want, this.promise, nowMs, ctx) ? want : undefined;
    }
    // Votes for a ballot this host does not back would stay tied up for D: give it up (nobody counts a
    // given-up ballot, so its voters may move at once).
    if (!sameBallot(this.vote, this.ownBallot()) && this.peers.votesFor(this.gen, nowMs).length > 0)
      this.gen += 1;
  }
}
