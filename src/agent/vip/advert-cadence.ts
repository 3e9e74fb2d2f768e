// When a host sends its periodic adverts and ticks: the part of the glue (elector.ts, elector-loop.ts and
// the simulation's model of them) that decides how often an idle control-plane agent wakes up. Pure.
//
// Why. In the agent's --jitless node every wake-up costs ~80-100 µs before any work (libuv, timers, the
// callback machinery), and a host that advertised on its own timer every A, ticked T after its last
// evaluation and received its peers' adverts at random phases woke ~50 times a second: the largest part
// of its idle CPU. So a FOLLOWER — a host that does not hold the VIP and votes for a present holder
// (election.ts follows()) — is clocked by the holder:
//  - it answers each advert of that holder at once, in the same wake-up (answers()): its vote then echoes
//    the holder's newest counter with age ~0, so the vote's lease at the holder starts as late as it can;
//  - its own timer only covers a missed advert of the holder: one advert FALLBACK_FACTOR × A after its
//    answer (nextAdvertAt), so a single loss still refreshes its vote and presence as an advert every A
//    did; after that one it waits for the holder, and when the holder's last advert ages past freshMs the
//    follower's vote changes (abstains) and that decision advertises at once;
//  - it needs no tick until then (nextTickAt): while it follows, no rule can act before the holder's
//    advert ages past freshMs (it holds nothing, probes nothing; a claim needs no holder seen for W_s; its
//    vote stays with a present holder), and every advert it sends computes its vote afresh (advertFor).
//  - it drops, unverified, an advert of another follower that only repeats that host's last accepted one
//    (repeats(): same run, ballot, flags, sees and vote, only the counters moved) less than
//    REPEAT_WINDOW_FACTOR × A after it: such an advert changes nothing the rules act on while the holder
//    is present, so every other one is verified (its signature was half the cost of an advert), and the
//    host stays present here (freshMs 2.5 A). It is like a lost advert, which the rules tolerate, and only
//    ever drops: a forged repeat is dropped too, anything else still meets the signature check.
// The holder and every host without a present holder keep the plain cadence: an advert every A, a tick T
// after the last evaluation. Everything the election's safety rests on is unchanged (ballot.ts): a
// voter's promise runs from the adverts it actually sent, a vote's lease from the holder's send time of
// the counter it echoes, and the holder still checks its votes every T.
//
// Failover is not slower: a follower's last vote for a holder that died went out at most
// FALLBACK_FACTOR × A after that holder's last advert (before: up to freshMs after it, an advert every A
// while the holder was still "present"), so its promise frees sooner. Between any two adverts of a host
// there are at most max(FALLBACK_FACTOR × A, freshMs - FALLBACK_FACTOR × A) = 1.3 A, well inside the
// windows that count them (freshMs 2.5 A, W_h 3 A); an agent of an older version, which advertises every
// A, interoperates unchanged (the wire format is the same).
import type { VipAdvert } from './advert.js';
import type { VipWindows } from './policy.js';

/** The host this one follows: the holder it votes for, and when its newest advert arrived. */
export interface Followed {
  hostId: string;
  receivedAt: number;
}

/** A follower sends its fallback advert this many A after its answer to the holder. */
export const FALLBACK_FACTOR = 1.2;
/** A follower drops a repeat of another follower's advert this many A after the last one it accepted. */
export const REPEAT_WINDOW_FACTOR = 1.5;

type Windows = Pick<VipWindows, 'advertMs' | 'tickMs' | 'freshMs'>;

/** Answer the advert `fromHostId` just sent (accepted and evaluated) with one of our own, now? */
export function answers(
  fromHostId: string,
  followed: Followed | undefined,
  lastSentAt: number,
  nowMs: number,
  w: Windows,
): boolean {
  return followed?.hostId === fromHostId && nowMs - lastSentAt >= w.advertMs / 2;
}

/** When the next periodic advert is due, the last one having gone out at `sentAt`. */
export function nextAdvertAt(sentAt: number, followed: Followed | undefined, w: Windows): number {
  if (!followed) return sentAt + w.advertMs;
  // it answered the holder's newest advert: one more in case the holder's next is lost
  if (sentAt - followed.receivedAt < w.advertMs / 2) return sentAt + FALLBACK_FACTOR * w.advertMs;
  // the fallback went out: the next when the holder's advert ages past freshMs, unless the holder's
  // next advert comes first (answered at once)
  return Math.max(sentAt + w.advertMs / 2, followed.receivedAt + w.freshMs);
}

/** When the next periodic tick is due (the glue also ticks at least every KERNEL_RECHECK_MS). */
export function nextTickAt(lastEvaluatedAt: number, followed: Followed | undefined, w: Windows): number {
  const plain = lastEvaluatedAt + w.tickMs;
  return followed ? Math.max(plain, followed.receivedAt + w.freshMs) : plain;
}

/** The last advert accepted from a host, and when. */
export interface Accepted {
  advert: VipAdvert;
  at: number;
}

/** Drop `advert` unverified (see above)? `prev`: the last one accepted from its sender. */
export function dropsRepeat(
  advert: VipAdvert,
  prev: Accepted | undefined,
  followed: Followed | undefined,
  nowMs: number,
  w: Windows,
): boolean {
  if (!followed || !prev || advert.hostId === followed.hostId || advert.holding) return false;
  return nowMs - prev.at < REPEAT_WINDOW_FACTOR * w.advertMs && repeats(prev.advert, advert);
}

/** Does `next` say what `prev` said (same sender run, ballot, flags, sees, vote), counters aside? */
export function repeats(prev: VipAdvert, next: VipAdvert): boolean {
  if (
    prev.hostId !== next.hostId ||
    prev.epoch !== next.epoch ||
    prev.policyVersion !== next.policyVersion ||
    prev.priority !== next.priority ||
    prev.gen !== next.gen ||
    prev.holding !== next.holding ||
    prev.quorum !== next.quorum ||
    prev.sees.length !== next.sees.length
  )
    return false;
  for (let i = 0; i < prev.sees.length; i++) if (prev.sees[i] !== next.sees[i]) return false;
  const a = prev.vote;
  const b = next.vote;
  if (!a || !b) return a === b;
  return a.hostId === b.hostId && a.epoch === b.epoch && a.gen === b.gen;
}
