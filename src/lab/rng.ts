// A seeded pseudo-random source for lab runs and the VIP election simulation: a run that found a problem
// can be repeated exactly by its seed (the fault's phase against the advert timer, which hosts a split puts
// on each side, the simulation's delays and losses).

/** mulberry32: small, fast and fully determined by the seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** A seed for a run that was given none: printed with the run's results so it can be repeated. */
export const freshSeed = (): number => Math.floor(Math.random() * 2 ** 32);

/** The seed from `raw` (a flag or env value), or a fresh one; throws on anything but an integer ≥ 0. */
export function seedFrom(raw: string | undefined): number {
  if (raw === undefined || raw === '') return freshSeed();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32)
    throw new Error(`seed must be an integer in [0, 2^32): ${raw}`);
  return n;
}
