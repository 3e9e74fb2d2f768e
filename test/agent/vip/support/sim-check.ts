// The safety and liveness checks run against a simulated world: never two kernels with the VIP (checked at
// every kernel add, the only moment one can appear, and at every 10 ms step), no holder in a side without
// a majority once its holder's votes have run out, exactly one holder after healing.
import type { World } from './sim-world.js';

export interface Minority {
  /** Hosts of a side without a majority. */
  hosts: number[];
  /** From this time until `until`, none of them may hold. */
  from: number;
  until: number;
}

export class Checker {
  readonly violations: string[] = [];
  samples = 0;
  private readonly minorities: Minority[] = [];

  constructor(private readonly world: World) {
    world.onKernelAdd = () => this.checkSingle(world.now, 'add');
  }

  /** Sides without a majority must be empty of holders within [from, until). */
  expectNoHolderIn(m: Minority): void {
    this.minorities.push(m);
  }

  /** For World.runUntil: every 10 ms. */
  readonly step = (t: number): void => {
    this.samples += 1;
    this.checkSingle(t, 'step');
    for (const m of this.minorities) {
      if (t < m.from || t >= m.until) continue;
      const bad = m.hosts.filter((h) => this.world.hosts[h]!.kernel.has(t));
      if (bad.length > 0) this.fail(t, `minority host(s) ${bad.join(',')} hold the VIP`);
    }
  };

  expectExactlyOne(t: number, what: string): void {
    const holders = this.world.holders(t);
    if (holders.length !== 1) this.fail(t, `${what}: ${holders.length} holders (${holders.join(',')})`);
  }

  fail(t: number, msg: string): void {
    if (this.violations.length < 20) this.violations.push(`t=${t}: ${msg}`);
  }

  private checkSingle(t: number, where: string): void {
    const holders = this.world.holders(t);
    if (holders.length > 1) this.fail(t, `TWO HOLDERS at ${where}: ${holders.join(',')}`);
  }
}

/** Time from `fault` to the first kernel add by a host other than `oldHolder`, if any before `until`. */
export function failoverMs(
  world: World,
  oldHolder: number,
  fault: number,
  until: number,
): number | undefined {
  const e = world.kernelEvents.find(
    (k) => k.kind === 'add' && k.host !== oldHolder && k.at >= fault && k.at < until,
  );
  return e ? e.at - fault : undefined;
}

export interface Distribution {
  count: number;
  median: number;
  p90: number;
  max: number;
  min: number;
}

export function distribution(values: readonly number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))] ?? Number.NaN;
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return {
    count: s.length,
    median: mid,
    p90: q(0.9),
    max: s[s.length - 1] ?? Number.NaN,
    min: s[0] ?? Number.NaN,
  };
}
