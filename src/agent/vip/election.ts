// The site VIP election of one host, as a PURE state machine: no I/O, no clock of its own. The agent's glue
// feeds it verified adverts (onAdvert), a tick every T with the kernel truth (onTick), DAD results (onDad)
// and policies (setPolicy), sends advertFor(now) every A (and at once when a decision says advertNow), and
// applies the decisions: probe = run DAD, claim = add VIP with lifetime + gratuitous ARP, renew = add or
// refresh the lifetime (ip addr replace … valid_lft 1 preferred_lft 1), release = ip addr del.
//
// Rules (vip-design.md, with votes so that a NON-transitive partition — H↔z↔S with H and S cut apart —
// cannot give H and S a majority each through the same z; see ballot.ts for the safety argument):
//  - a candidate is eligible, past its hold-down, and seen by a majority (`quorum` in its advert);
//  - every voter votes for the best-ranked present candidate, but stays with a present holder; it moves
//    only as the promise allows (ballot.ts); a fresh agent votes for nobody during its hold-down;
//  - a host claims when its own ballot has a majority of votes, it is the best candidate it sees, no seen
//    host advertises the VIP, and DAD is clean; a holder releases at once when it is no longer eligible
//    (NotEligible), a better-ranked host also holds (Conflict), a better-ranked candidate is present
//    (Outranked) or its votes fall below a majority (QuorumLost);
//  - a VIP found in the kernel that this run did not claim is released: a host never claims from its state.
import type { VipAdvert } from './advert.js';
import type { Election, ElectionSelf, ElectionStatus, VipDecision, VipReason } from './election-types.js';
import { type Ballot, keepPromise, laterBallot, mayVoteFor, sameBallot, type VotePromise } from './ballot.js';
import { PeerTable } from './peers.js';
import {
  compareRank,
  isEligible,
  isVoter,
  majority,
  priorityOf,
  ranksBetter,
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
  private win: VipWindows;
  private policyAt: number;
  private readonly peers = new PeerTable();
  private readonly sent = new Map<number, number>();
  private counter = 0;
  private gen = 1;
  private holding = false;
  private kernel = false;
  private renewedAt = Number.NEGATIVE_INFINITY;
  private claimedAt = Number.NEGATIVE_INFINITY;
  private releasedAt = Number.NEGATIVE_INFINITY;
  private vote: Ballot | undefined;
  private promise: VotePromise | undefined;
  private probeSince: number | undefined;
  private dirtyAt = Number.NEGATIVE_INFINITY;
  private lastHolder: { hostId: string; released: boolean } | undefined;

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
    if (advert.holding) this.lastHolder = { hostId: advert.hostId, released: false };
    else if (this.lastHolder?.hostId === advert.hostId) this.lastHolder.released = true;
    return this.step(nowMs, () => this.decide(nowMs));
  }

  onTick(nowMs: number, kernelHolding: boolean): VipDecision {
    return this.step(nowMs, () => {
      this.kernel = kernelHolding;
      return this.decide(nowMs);
    });
  }

  onDad(clean: boolean, nowMs: number): VipDecision {
    return this.step(nowMs, () => {
      this.probeSince = undefined;
      if (!clean) {
        this.dirtyAt = nowMs;
        return this.decide(nowMs);
      }
      this.updateVote(nowMs);
      if (!this.canClaim(nowMs)) return this.decide(nowMs);
      const reason = this.claimReason();
      this.holding = true;
      this.renewedAt = nowMs;
      this.claimedAt = nowMs;
      this.lastHolder = { hostId: this.self.hostId, released: false };
      return { action: 'claim', reason, advertNow: true };
    });
  }

  advertFor(nowMs: number): VipAdvert {
    this.updateVote(nowMs);
    this.counter += 1;
    this.sent.set(this.counter, nowMs);
    for (const [c, at] of this.sent) if (at <= nowMs - this.win.holdMs) this.sent.delete(c);
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
      holding: this.holding || this.kernel,
      quorum: this.isCandidate(nowMs),
      sees: this.peers
        .current(this.policy, nowMs, this.win.seenMs)
        .map((e) => e.advert.hostId)
        .sort(),
      ...(v && echo ? { vote: { ...v, ...echo } } : {}),
    };
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
    const holders = this.peers
      .holdersSeen(nowMs, this.win.seenMs)
      .map((e) => e.advert.hostId)
      .sort((a, b) => compareRank(this.policy, a, b));
    return {
      holding: this.holding,
      ...(this.holding ? { holder: this.self.hostId } : holders[0] ? { holder: holders[0] } : {}),
      candidate: this.isCandidate(nowMs),
      votes: this.votes(nowMs),
      needed: majority(this.policy),
      ...(this.vote ? { vote: this.vote } : {}),
      policyVersion: this.policy.policyVersion,
    };
  }

  /** Runs one evaluation and tells the glue to advertise when anything peers act on changed. */
  private step(nowMs: number, run: () => VipDecision): VipDecision {
    const before = this.fingerprint(nowMs);
    const d = run();
    return { ...d, advertNow: d.advertNow || before !== this.fingerprint(nowMs) };
  }

  private fingerprint(nowMs: number): string {
    const v = this.vote;
    return `${this.holding || this.kernel}|${this.gen}|${this.isCandidate(nowMs)}|${v ? `${v.hostId}/${v.epoch}/${v.gen}` : '-'}`;
  }

  private decide(nowMs: number): VipDecision {
    if (this.holding) {
      // The add lands within the action delay; after 2A an absent address means the lease lapsed.
      const lapsed = !this.kernel && nowMs - this.claimedAt >= 2 * this.win.advertMs;
      const reason = this.releaseReason(nowMs) ?? (lapsed ? 'LeaseExpired' : undefined);
      if (reason) {
        this.holding = false;
        this.gen += 1; // the ballot is given up: no vote for it counts any more
        this.releasedAt = nowMs;
        this.updateVote(nowMs);
        return { action: 'release', reason, advertNow: true };
      }
      if (nowMs - this.renewedAt < this.win.advertMs) return NONE;
      this.renewedAt = nowMs;
      return { action: 'renew', advertNow: false };
    }
    this.updateVote(nowMs);
    if (this.kernel && nowMs - this.releasedAt >= 2 * this.win.advertMs) {
      // A copy this run does not hold: a previous run's (restart) or a release that did not take.
      this.releasedAt = nowMs;
      return { action: 'release', reason: 'QuorumLost', advertNow: true };
    }
    if (!this.canClaim(nowMs)) return NONE;
    const probing = this.probeSince !== undefined && nowMs - this.probeSince < 5 * this.win.advertMs;
    if (probing || nowMs - this.dirtyAt < this.win.dadRetryMs) return NONE;
    this.probeSince = nowMs;
    return { action: 'probe', advertNow: false };
  }

  private releaseReason(nowMs: number): VipReason | undefined {
    const me = this.self.hostId;
    if (!isEligible(this.policy, me)) return 'NotEligible';
    const better = (h: string) => ranksBetter(this.policy, h, me);
    if (this.peers.holdersSeen(nowMs, this.win.seenMs).some((e) => better(e.advert.hostId)))
      return 'Conflict';
    if (this.peers.candidates(this.policy, nowMs, this.win.freshMs).some((e) => better(e.advert.hostId)))
      return 'Outranked';
    if (this.votes(nowMs) < majority(this.policy)) return 'QuorumLost';
    return undefined;
  }

  private canClaim(nowMs: number): boolean {
    return (
      !this.holding &&
      !this.kernel &&
      this.isCandidate(nowMs) &&
      sameBallot(this.vote, this.ownBallot()) &&
      this.votes(nowMs) >= majority(this.policy) &&
      this.peers.holdersSeen(nowMs, this.win.seenMs).length === 0
    );
  }

  private claimReason(): VipReason {
    const last = this.lastHolder;
    if (!last || last.hostId === this.self.hostId) return 'Initial';
    if (!last.released) return 'HolderLost';
    return ranksBetter(this.policy, this.self.hostId, last.hostId) ? 'Outranked' : 'HolderReleased';
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
    if (this.holding) {
      this.vote = this.ownBallot();
      return;
    }
    // A fresh run does not know whom its previous run promised: it votes for nobody until that expired.
    if (nowMs - this.startedAt < this.win.holdDownMs) {
      this.vote = undefined;
      return;
    }
    const want = this.peers.best(
      this.policy,
      nowMs,
      this.win.freshMs,
      this.isCandidate(nowMs) ? this.ownBallot() : undefined,
    );
    const cur = this.vote;
    if (cur && this.keeps(cur, want, nowMs)) return;
    if (cur?.hostId === this.self.hostId && !laterBallot(this.ownBallot(), cur)) this.gen += 1;
    this.vote =
      want &&
      mayVoteFor(want, this.promise, nowMs, {
        selfHostId: this.self.hostId,
        own: this.ownBallot(),
        ownVipPresent: this.holding || this.kernel,
        latest: (h) => this.peers.latest(h),
      })
        ? want
        : undefined;
  }
}
