// What this host knows of the other voters: the newest advert of each (with when it arrived) and the
// votes for this host's ballot that it may count. Pure: the clock is passed in.
import { isAfter } from '../beacon/replay.js';
import type { VipAdvert } from './advert.js';
import { type Ballot, ballotOf, sameBallot } from './ballot.js';
import { compareRank, isEligible, isVoter, type VipPolicy } from './policy.js';

export interface PeerEntry {
  advert: VipAdvert;
  receivedAt: number;
}

interface CountedVote {
  gen: number;
  /** When we sent the advert the vote echoes + its age at the voter + W_h: a lease that starts no later
   * than the voter sent the vote, whatever the network and processing delays were. */
  expiresAt: number;
}

export interface RecordContext {
  self: { hostId: string; epoch: number };
  policy: VipPolicy;
  holdMs: number;
  /** When this host sent its advert with this counter (current epoch), if it still remembers. */
  sentAt: (counter: number) => number | undefined;
}

export class PeerTable {
  private readonly entries = new Map<string, PeerEntry>();
  private readonly votes = new Map<string, CountedVote>();

  /** Keeps a voter's advert if it is newer than the last one (replay rule); false when ignored. */
  record(advert: VipAdvert, nowMs: number, ctx: RecordContext): boolean {
    const { self, policy } = ctx;
    if (advert.hostId === self.hostId || advert.clusterName !== policy.clusterName) return false;
    if (!isVoter(policy, advert.hostId)) return false;
    const held = this.entries.get(advert.hostId);
    if (held && !isAfter(advert, held.advert)) return false;
    this.entries.set(advert.hostId, { advert, receivedAt: nowMs });
    // Votes are counted only between hosts of the same policy version (its voters and windows).
    if (advert.policyVersion !== policy.policyVersion) return true;
    const vote = advert.vote;
    if (vote?.hostId === self.hostId && vote.epoch === self.epoch) {
      const sent = ctx.sentAt(vote.counter);
      if (sent !== undefined)
        this.votes.set(advert.hostId, { gen: vote.gen, expiresAt: sent + vote.ageMs + ctx.holdMs });
    } else if (vote) {
      // A vote for someone else ends ours at once (its promise already covered us); an abstention does
      // not: the vote we hold keeps its lease, so a voter that briefly misses us costs nothing.
      this.votes.delete(advert.hostId);
    }
    return true;
  }

  latest(hostId: string): VipAdvert | undefined {
    return this.entries.get(hostId)?.advert;
  }

  /** What a vote for this host echoes: its newest counter and how long ago (floored: the lease errs short). */
  echo(hostId: string, nowMs: number): { counter: number; ageMs: number } | undefined {
    const e = this.entries.get(hostId);
    return e && { counter: e.advert.counter, ageMs: Math.max(0, Math.floor(nowMs - e.receivedAt)) };
  }

  /** Drops what is known of hosts that are no longer voters; `keepVotes` false forgets counted votes too. */
  retain(policy: VipPolicy, keepVotes: boolean): void {
    for (const h of [...this.entries.keys()]) if (!isVoter(policy, h)) this.entries.delete(h);
    if (!keepVotes) this.votes.clear();
    for (const h of [...this.votes.keys()]) if (!isVoter(policy, h)) this.votes.delete(h);
  }

  /** Voters (not this host) with an advert of this policy version younger than `windowMs`. */
  current(policy: VipPolicy, nowMs: number, windowMs: number): PeerEntry[] {
    const out: PeerEntry[] = [];
    for (const e of this.entries.values()) if (this.isCurrent(e, policy, nowMs, windowMs)) out.push(e);
    return out;
  }

  private isCurrent(e: PeerEntry, policy: VipPolicy, nowMs: number, windowMs: number): boolean {
    return e.advert.policyVersion === policy.policyVersion && nowMs - e.receivedAt < windowMs;
  }

  /** Any version: an advertised VIP blocks a claim whatever policy its holder runs. */
  holdersSeen(nowMs: number, seenMs: number): PeerEntry[] {
    const out: PeerEntry[] = [];
    for (const e of this.entries.values()) if (e.advert.holding && nowMs - e.receivedAt < seenMs) out.push(e);
    return out;
  }

  /** Voters whose counted vote is for ballot gen `gen` of this host and whose lease has not run out. */
  votesFor(gen: number, nowMs: number): string[] {
    const out: string[] = [];
    for (const [h, v] of this.votes) if (v.gen === gen && nowMs < v.expiresAt) out.push(h);
    return out;
  }

  /** Peers that are candidates now: present, same version, eligible here, advertising quorum. */
  candidates(policy: VipPolicy, nowMs: number, freshMs: number): PeerEntry[] {
    return this.current(policy, nowMs, freshMs).filter(
      (e) => e.advert.quorum && isEligible(policy, e.advert.hostId),
    );
  }

  /** How many voters (not `hostId`) list `hostId` in the `sees` of an advert younger than `windowMs`. */
  seenBy(hostId: string, policy: VipPolicy, nowMs: number, windowMs: number): number {
    // counted in place: evaluated several times per advert received (an allocation-free loop)
    let n = 0;
    for (const e of this.entries.values())
      if (this.isCurrent(e, policy, nowMs, windowMs) && e.advert.sees.includes(hostId)) n++;
    return n;
  }

  /** The best-ranked present candidate's current ballot; `own` is this host's when it is a candidate. */
  best(policy: VipPolicy, nowMs: number, freshMs: number, own: Ballot | undefined): Ballot | undefined {
    const all = this.candidates(policy, nowMs, freshMs).map((e) => ballotOf(e.advert));
    if (own) all.push(own);
    all.sort((a, b) => compareRank(policy, a.hostId, b.hostId));
    return all[0];
  }

  /** A vote for a peer's ballot stands while that ballot is current, the peer present and eligible, and it
   * either holds the VIP (voters stay with a holder; it steps down itself when outranked) or is `want`. */
  backs(cur: Ballot, want: Ballot | undefined, policy: VipPolicy, nowMs: number, freshMs: number): boolean {
    const entry = this.entries.get(cur.hostId);
    if (
      !entry ||
      !this.isCurrent(entry, policy, nowMs, freshMs) ||
      !sameBallot(cur, ballotOf(entry.advert)) ||
      !isEligible(policy, cur.hostId)
    )
      return false;
    return entry.advert.holding || sameBallot(cur, want);
  }

  /** The peer whose current ballot `vote` is, when it is present and advertises the VIP. */
  holding(vote: Ballot, policy: VipPolicy, nowMs: number, freshMs: number): PeerEntry | undefined {
    const e = this.entries.get(vote.hostId);
    if (!e || e.advert.policyVersion !== policy.policyVersion || nowMs - e.receivedAt >= freshMs) return;
    return e.advert.holding && sameBallot(vote, ballotOf(e.advert)) ? e : undefined;
  }

  /** The voters listed in our `sees`: same policy version, advert younger than W_s. */
  seen(policy: VipPolicy, nowMs: number, seenMs: number): string[] {
    return this.current(policy, nowMs, seenMs)
      .map((e) => e.advert.hostId)
      .sort();
  }

  /** The best-ranked peer advertising the VIP, if any (for status: whom this host believes holds it). */
  bestHolder(policy: VipPolicy, nowMs: number, seenMs: number): string | undefined {
    return this.holdersSeen(nowMs, seenMs)
      .map((e) => e.advert.hostId)
      .sort((a, b) => compareRank(policy, a, b))[0];
  }
}
