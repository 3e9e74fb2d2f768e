// Partitions of a running VipLab beyond one cut-off host (vip-lab-faults.ts has those):
//   split  the L2 cut into two sides that still talk within themselves (the holder on the minority side:
//          the majority side elects a successor and the minority side holds nothing; on the majority
//          side: the holder keeps the VIP without a gap), then healed;
//   flap   the holder's switch port goes down and up every periodMs for a while, then stays up.
// Both measured on the kernel: the checker's samples (two holders: violations) and the pingers.
import type { Rng } from './rng.js';
import type { VipLab } from './vip-lab.js';
import {
  heldWhileCut,
  measureFailover,
  settleAfterRestore,
  type VipFaultRun,
  waitSettled,
} from './vip-lab-faults.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface VipSplitRun extends Omit<VipFaultRun, 'fault' | 'successor' | 'claimMs' | 'failoverMs'> {
  fault: string;
  holderSide: 'minority' | 'majority';
  minority: string[];
  /** Set when the holder was on the minority side. */
  successor?: string;
  claimMs?: number;
  failoverMs?: number;
  /** Samples without any holder while split (the holder on the majority side must keep it: 0). */
  gapSamples: number;
}

export async function runSplit(
  lab: VipLab,
  minoritySize: number,
  holderSide: 'minority' | 'majority',
  rng: Rng,
): Promise<VipSplitRun> {
  const victim = await waitSettled(lab);
  await sleep(rng.next() * 100);
  const v = lab.indexOf(victim);
  const others = rng.shuffle(lab.hosts.map((_, i) => i).filter((i) => i !== v));
  const minority =
    holderSide === 'minority' ? [v, ...others.slice(0, minoritySize - 1)] : others.slice(0, minoritySize);
  const majority = lab.hosts.map((_, i) => i).filter((i) => !minority.includes(i));
  const ids = (xs: number[]) => xs.map((i) => lab.hosts[i]!.hostId);
  const firstSample = lab.checker.samples.length;
  const t0 = Date.now();
  await lab.split([minority, majority]);
  const failover = holderSide === 'minority' ? await measureFailover(lab, t0, victim, majority) : {};
  const minorityHeld = await heldWhileCut(lab, t0, ids(minority));
  const gapSamples = lab.checker.samplesBetween(t0, Date.now()).filter((s) => s.holders.length === 0).length;
  await lab.unsplit();
  const settleMs = await settleAfterRestore(lab);
  const window = lab.checker.samples.slice(firstSample);
  return {
    fault: `split ${minority.length}|${majority.length}`,
    holderSide,
    victim,
    minority: ids(minority),
    ...failover,
    minorityHeld,
    gapSamples,
    settleMs,
    samples: window.length,
    violations: window.filter((s) => s.holders.length > 1).length,
  };
}

export interface VipFlapRun {
  fault: 'flap';
  victim: string;
  periodMs: number;
  flaps: number;
  /** From the last "up" to exactly one holder for good; null if never within the window. */
  settleMs: number | null;
  samples: number;
  violations: number;
}

export async function runFlap(lab: VipLab, periodMs: number, durationMs: number): Promise<VipFlapRun> {
  const victim = await waitSettled(lab);
  const v = lab.indexOf(victim);
  const firstSample = lab.checker.samples.length;
  const end = Date.now() + durationMs;
  let flaps = 0;
  for (let down = true; Date.now() < end; down = !down) {
    const next = Date.now() + periodMs;
    if (down) await lab.isolate(v);
    else await lab.heal(v);
    flaps++;
    await sleep(Math.max(0, next - Date.now()));
  }
  await lab.heal(v);
  const settleMs = await settleAfterRestore(lab);
  const window = lab.checker.samples.slice(firstSample);
  return {
    fault: 'flap',
    victim,
    periodMs,
    flaps,
    settleMs,
    samples: window.length,
    violations: window.filter((s) => s.holders.length > 1).length,
  };
}
