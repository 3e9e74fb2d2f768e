// Building blocks of the VIP election simulation: a seeded PRNG, a time-ordered event queue, and the kernel
// model of one host's VIP address (lifetime measured on this kernel: gone 0.82–1.26 s after the last renew).

import { Rng } from '../../../../src/lab/rng.js';

export { Rng };

interface QueuedEvent {
  at: number;
  seq: number;
  run: () => void;
}

/** A binary min-heap on (time, insertion order): equal times run in the order they were scheduled. */
export class EventQueue {
  private readonly heap: QueuedEvent[] = [];
  private seq = 0;

  schedule(at: number, run: () => void): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** Time of the next event, or Infinity. */
  peek(): number {
    return this.heap[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  pop(): QueuedEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (!top || !last || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }

  private less(a: QueuedEvent, b: QueuedEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}

export const LIFETIME_MIN_MS = 820;
export const LIFETIME_MAX_MS = 1260;

/** The VIP as `ip addr` sees it on one host: added/renewed with a lifetime, deleted, or wiped by a reboot. */
export class SimKernel {
  private expiresAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly rng: Rng) {}

  /** `ip addr replace VIP/32 … valid_lft 1 preferred_lft 1`: adds or refreshes. */
  addOrRenew(nowMs: number): void {
    this.expiresAt = nowMs + this.rng.int(LIFETIME_MIN_MS, LIFETIME_MAX_MS);
  }

  del(): void {
    this.expiresAt = Number.NEGATIVE_INFINITY;
  }

  has(nowMs: number): boolean {
    return nowMs < this.expiresAt;
  }
}
