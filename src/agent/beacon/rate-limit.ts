// The CPU budget for signature checks. Anyone on the underlay L2 can send packets that pass every cheap
// check and cost a signature verification (~80-130 µs here); token buckets taken BEFORE that check bound
// the cost of a flood: one bucket per UDP source address and one global bucket, so a flood from one
// source costs at most its own bucket and a flood from forged sources at most the global one. Every drop
// is counted (stats). Time is passed in (monotonic ms) so the buckets are pure and testable.
// Legitimate beacons rarely need tokens: an unchanged repeat of a verified beacon is not re-verified
// (verifier.ts), so tokens are spent only when a peer's announcement changes (renumbering, restart).

export interface BucketLimits {
  /** Tokens available at once (a burst). */
  burst: number;
  /** Tokens added per second. */
  perSecond: number;
}

export interface VerifyBudgetLimits {
  perSource: BucketLimits;
  /** The floor of the global bucket; it grows with the peer table (setPeerCount). */
  global: BucketLimits;
  /** Source buckets kept at most (oldest forgotten first): memory stays bounded under spoofed sources. */
  maxSources: number;
}

export const DEFAULT_VERIFY_LIMITS: VerifyBudgetLimits = {
  perSource: { burst: 4, perSecond: 1 },
  global: { burst: 64, perSecond: 32 },
  maxSources: 4096,
};

class Bucket {
  private tokens: number;
  private atMs: number | undefined;
  constructor(private limits: BucketLimits) {
    this.tokens = limits.burst;
  }
  /** A larger burst is available at once (more peers may all announce now); a smaller one caps. */
  setLimits(limits: BucketLimits): void {
    this.tokens = Math.min(limits.burst, this.tokens + Math.max(0, limits.burst - this.limits.burst));
    this.limits = limits;
  }
  refill(nowMs: number): void {
    // A clock that goes back (should not: callers pass a monotonic clock) just adds nothing.
    if (this.atMs !== undefined && nowMs > this.atMs)
      this.tokens = Math.min(
        this.limits.burst,
        this.tokens + ((nowMs - this.atMs) / 1000) * this.limits.perSecond,
      );
    this.atMs = this.atMs === undefined ? nowMs : Math.max(this.atMs, nowMs);
  }
  has(): boolean {
    return this.tokens >= 1;
  }
  take(): void {
    this.tokens -= 1;
  }
}

export type BudgetDecision = 'ok' | 'source-limit' | 'global-limit';

export class VerifyBudget {
  private readonly sources = new Map<string, Bucket>();
  private readonly global: Bucket;

  constructor(private readonly limits: VerifyBudgetLimits = DEFAULT_VERIFY_LIMITS) {
    this.global = new Bucket({ ...limits.global });
  }

  /**
   * A mass renumbering makes every peer announce something new at once: the global bucket holds two
   * tokens per peer and refills one per peer per second, never less than the configured floor.
   */
  setPeerCount(peers: number): void {
    this.global.setLimits({
      burst: Math.max(this.limits.global.burst, 2 * peers),
      perSecond: Math.max(this.limits.global.perSecond, peers),
    });
  }

  /** Takes one token from the source's bucket and the global one, or neither. */
  take(source: string, nowMs: number): BudgetDecision {
    let bucket = this.sources.get(source);
    if (!bucket) {
      if (this.sources.size >= this.limits.maxSources) {
        const oldest = this.sources.keys().next().value;
        if (oldest !== undefined) this.sources.delete(oldest);
      }
      bucket = new Bucket(this.limits.perSource);
      this.sources.set(source, bucket);
    }
    bucket.refill(nowMs);
    if (!bucket.has()) return 'source-limit';
    this.global.refill(nowMs);
    if (!this.global.has()) return 'global-limit';
    bucket.take();
    this.global.take();
    return 'ok';
  }
}
