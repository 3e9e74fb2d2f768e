// Ballots and the voter's promise: the part of the election that makes two holders impossible.
//
// A BALLOT is one candidacy of one host: (hostId, epoch, gen). A host raises its gen whenever it gives the
// candidacy up (releases the VIP, or stops voting for itself), and a new agent run has a new epoch, so a
// ballot that was given up never comes back. The owner counts only votes for its CURRENT ballot.
//
// Every voter votes for at most one ballot at a time, and PROMISES: once it advertised a vote for ballot b
// at time s, it advertises no vote for another ballot before s + D, unless b's owner visibly gave b up and
// its kernel no longer holds the VIP (same host, newer ballot: always, it is one kernel). A fresh agent
// does not know its last promise: it votes for nobody during its hold-down (>= D).
// The owner counts a vote until (its own send time of the counter the vote echoes + the age the voter
// reports for it) + W_h. That start is never later than the voter's s, measured on the owner's clock with
// durations only, whatever the network and processing delays. A holder checks every T and its release
// lands within the action delay, so with D > W_h + T + that delay the owner has released before another
// ballot can count the same voter; two majorities of the same voters share a voter, so two ballots never
// have a majority at the same time. Dead agents: the kernel lifetime and DAD (election.ts).
import type { VipAdvert } from './advert.js';

export interface Ballot {
  hostId: string;
  epoch: number;
  gen: number;
}

export const sameBallot = (a: Ballot | undefined, b: Ballot | undefined): boolean =>
  a !== undefined && b !== undefined && a.hostId === b.hostId && a.epoch === b.epoch && a.gen === b.gen;

/** True when `a` is a later ballot of the same host than `b` (b was given up). */
export const laterBallot = (a: Ballot, b: Ballot): boolean =>
  a.hostId === b.hostId && (a.epoch > b.epoch || (a.epoch === b.epoch && a.gen > b.gen));

export const ballotOf = (a: Pick<VipAdvert, 'hostId' | 'epoch' | 'gen'>): Ballot => ({
  hostId: a.hostId,
  epoch: a.epoch,
  gen: a.gen,
});

/** The last ballot this host advertised a vote for, and when the promise on it ends. */
export interface VotePromise {
  ballot: Ballot;
  /** max over its adverts of (sent + D in force then): a shorter D of a newer policy never shortens it. */
  freeAt: number;
}

export function keepPromise(
  prev: VotePromise | undefined,
  ballot: Ballot,
  nowMs: number,
  promiseMs: number,
): VotePromise {
  const freeAt = nowMs + promiseMs;
  return sameBallot(prev?.ballot, ballot) && prev
    ? { ballot, freeAt: Math.max(prev.freeAt, freeAt) }
    : { ballot, freeAt };
}

export interface FreedomContext {
  selfHostId: string;
  /** This host's current ballot. */
  own: Ballot;
  /** This host holds the VIP or its kernel still has it (a release not yet seen done). */
  ownVipPresent: boolean;
  /** The newest advert received from a host, if any. */
  latest: (hostId: string) => VipAdvert | undefined;
}

/** May this host now advertise a vote for `target`, given the promise on its last advertised vote? */
export function mayVoteFor(
  target: Ballot,
  promise: VotePromise | undefined,
  nowMs: number,
  ctx: FreedomContext,
): boolean {
  if (!promise || sameBallot(promise.ballot, target)) return true;
  const old = promise.ballot;
  if (old.hostId === ctx.selfHostId) {
    // Our own earlier ballot: nobody counts it once we gave it up; another host may count this vote only
    // after our own kernel copy is gone (DAD cannot be relied on across an asymmetric link).
    if (!laterBallot(ctx.own, old)) return false;
    return target.hostId === ctx.selfHostId || !ctx.ownVipPresent;
  }
  if (nowMs >= promise.freeAt) return true;
  const latest = ctx.latest(old.hostId);
  if (!latest || !laterBallot(ballotOf(latest), old)) return false;
  return target.hostId === old.hostId || !latest.holding;
}
