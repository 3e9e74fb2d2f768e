// Duplicate-address detection ahead of the claim: the DAD bookkeeping of one election (election.ts). Pure.
//
// Why ahead. On a host a DAD takes 170-310 ms when the address is free (arping's spawn plus its 100 ms
// deadline). Run only once every claim rule held, it came on top of the wait for the voters' promises and
// for the old holder's adverts to age past W_s: failover on real agents was ~1 s median. So a host that
// will claim once those run out (the best-ranked candidate, no present holder) probes while it waits, and
// a clean result is used for a claim made within D of it (dadFreshMs: the longest the wait for the votes
// lasts once the holder is absent, so one probe covers it). This costs no safety: the claim itself
// still needs a majority of votes and no seen holder (the election's safety rests on the votes, ballot.ts);
// DAD only guards against a copy left by a host outside the election (an agent killed with the address in
// its kernel), and such a copy is never added after a clean probe: a dead agent adds nothing.
import type { VipWindows } from './policy.js';

type Windows = Pick<VipWindows, 'advertMs' | 'dadRetryMs' | 'dadFreshMs'>;

export class DadAhead {
  private probeSince: number | undefined;
  private dirtyAt = Number.NEGATIVE_INFINITY;
  private cleanAt: number | undefined;

  /** A probe is in flight (its result not yet reported). */
  get probing(): boolean {
    return this.probeSince !== undefined;
  }

  /** May a probe start now? None in flight (one unanswered for 5A counts as lost), no dirty result within
   * dadRetryMs (retried every A until clean), and no clean one still fresh. */
  mayStart(nowMs: number, w: Windows): boolean {
    if (this.probeSince !== undefined && nowMs - this.probeSince < 5 * w.advertMs) return false;
    return nowMs - this.dirtyAt >= w.dadRetryMs && !this.isFresh(nowMs, w);
  }

  started(nowMs: number): void {
    this.probeSince = nowMs;
  }

  result(clean: boolean, nowMs: number): void {
    this.probeSince = undefined;
    if (clean) this.cleanAt = nowMs;
    else {
      this.dirtyAt = nowMs;
      this.cleanAt = undefined;
    }
  }

  /** A clean result at most dadFreshMs old: a claim may use it. */
  isFresh(nowMs: number, w: Windows): boolean {
    return this.cleanAt !== undefined && nowMs - this.cleanAt <= w.dadFreshMs;
  }

  /** A claim used the clean result: the next claim probes again. */
  used(): void {
    this.cleanAt = undefined;
  }
}
