// Fault runs against a running VipLab, measured on the kernel (the checker's samples and the pingers'
// replies), never on what the electors say about themselves, except the successor's claim time:
//   power-off  the holder's own link goes down (its elector runs on and must fence itself);
//   sigkill    the holder's elector is SIGKILLed (its address outlives it by at most its lifetime);
//   isolate    the holder's switch port goes down, then comes back (heal).
// failoverMs: fault → the VIP answers ping from every surviving host, each reply after the successor's
// claim (so a dead holder's lingering copy never counts). settleMs: restore (power on, heal, restart) →
// exactly one holder at every later sample of the observation window.
import type { Rng } from './rng.js';
import type { HolderChecker, HolderSample, VipPinger } from './vip-lab-watch.js';

/** What a fault run needs of a lab: the electors alone (vip-lab.ts) or real agents under the whole control
 * plane (agent-vip-lab.ts). Host indexes are positions in `hosts`. */
export interface VipFaultLab {
  readonly hosts: readonly { hostId: string }[];
  readonly checker: HolderChecker;
  readonly pingers: VipPinger[];
  indexOf(hostId: string): number;
  powerOff(i: number): Promise<void>;
  powerOn(i: number): Promise<void>;
  isolate(i: number): Promise<void>;
  heal(i: number): Promise<void>;
  /** SIGKILL the host's elector (its agent). */
  kill(i: number): void;
  startHost(i: number): Promise<void>;
  /** Hosts other than `except` gaining the VIP after `at` (wall clock), in order. */
  gainsAfter(at: number, except?: string): Array<{ hostId: string; at: number }>;
  /** Runs before the fault, after the victim is known (e.g. cut the control plane off the site). */
  beforeFault?(): Promise<void>;
  /** Runs once the successor holds, before the restore; what it returns is added to the run (the API's
   * catch-up with the new holder). */
  afterFailover?(): Promise<Record<string, number | null>>;
  /** Runs after the restore has settled; what it returns is added to the run. */
  afterRestore?(): Promise<Record<string, number | null>>;
}

export type VipFaultKind = 'power-off' | 'sigkill' | 'isolate';
export const VIP_FAULTS: VipFaultKind[] = ['power-off', 'sigkill', 'isolate'];

export interface VipFaultRun {
  fault: VipFaultKind;
  /** From afterRestore (agent labs: how long the API took to name the kernel's holder). */
  extra?: Record<string, number | null>;
  victim: string;
  successor: string;
  /** Fault → the successor's address in place (its elector's report). */
  claimMs: number;
  /** Fault → every surviving host's first ping reply from the successor. */
  failoverMs: number;
  /** Restore → exactly one holder for the rest of the window; null if never within it. */
  settleMs: number | null;
  /** Samples while cut off (from FENCED_AFTER_MS after the fault) where the victim still held the VIP. */
  minorityHeld: number;
  samples: number;
  violations: number;
}

/** How long the fault lasts at least: the cut-off host's fencing must show in the samples. */
const FAULT_HOLD_MS = 1500;
/** A cut-off holder has released by then (≈ A + W_h + T + action delay ≈ 0.5 s; this leaves room). */
export const FENCED_AFTER_MS = 1000;
/** How long after the restore the holders are watched. */
const SETTLE_WINDOW_MS = 2500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first time from which every sample has exactly one holder, or null. */
export function settledFrom(samples: HolderSample[]): number | null {
  let from: number | null = null;
  for (const s of samples) {
    if (s.holders.length !== 1) from = null;
    else from ??= s.at;
  }
  return from;
}

/** Waits until one host has held the VIP alone at every sample for stableMs; returns it. */
export async function waitSettled(lab: VipFaultLab, stableMs = 1000, timeoutMs = 10_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const now = Date.now();
    const recent = lab.checker.samplesBetween(now - stableMs, now);
    const holder = recent[0]?.holders[0];
    const covered = recent.length > 0 && recent[0]!.at - (now - stableMs) < 150;
    if (holder && covered && recent.every((s) => s.holders.length === 1 && s.holders[0] === holder))
      return holder;
    if (now > end) throw new Error(`no single stable VIP holder within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function until<T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export async function runFault(lab: VipFaultLab, fault: VipFaultKind, rng: Rng): Promise<VipFaultRun> {
  const victim = await waitSettled(lab);
  await sleep(rng.next() * 100); // a different phase against the advert and tick timers each run
  const v = lab.indexOf(victim);
  const firstSample = lab.checker.samples.length;
  await lab.beforeFault?.();
  const t0 = Date.now();
  if (fault === 'power-off') await lab.powerOff(v);
  else if (fault === 'isolate') await lab.isolate(v);
  else lab.kill(v);
  const survivors = lab.hosts.map((_, i) => i).filter((i) => fault === 'sigkill' || i !== v);
  const failover = await measureFailover(lab, t0, victim, survivors);
  const minorityHeld = fault === 'sigkill' ? 0 : await heldWhileCut(lab, t0, [victim]);
  const seen = await lab.afterFailover?.();
  if (fault === 'power-off') await lab.powerOn(v);
  else if (fault === 'isolate') await lab.heal(v);
  else await lab.startHost(v);
  const settleMs = await settleAfterRestore(lab);
  const extra = { ...seen, ...(await lab.afterRestore?.()) };
  const window = lab.checker.samples.slice(firstSample);
  return {
    fault,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
    victim,
    ...failover,
    settleMs,
    minorityHeld,
    samples: window.length,
    violations: window.filter((s) => s.holders.length > 1).length,
  };
}

/** Fault at t0 → a host other than the victim claims → every survivor's first ping reply after it. */
export async function measureFailover(
  lab: VipFaultLab,
  t0: number,
  victim: string,
  survivors: number[],
): Promise<{ successor: string; claimMs: number; failoverMs: number }> {
  const gain = await until(() => lab.gainsAfter(t0, victim)[0], 5000, 'a successor');
  const replies = await Promise.all(survivors.map((i) => lab.pingers[i]!.waitReplyAfter(gain.at, 3000)));
  return {
    successor: gain.hostId,
    claimMs: Math.round(gain.at - t0),
    failoverMs: Math.round(Math.max(...replies) - t0),
  };
}

/** Keeps the fault on for FAULT_HOLD_MS, then counts the samples (from FENCED_AFTER_MS) where a
 * cut-off host still held the VIP. */
export async function heldWhileCut(lab: VipFaultLab, t0: number, cut: string[]): Promise<number> {
  await sleep(Math.max(0, t0 + FAULT_HOLD_MS - Date.now()));
  return lab.checker
    .samplesBetween(t0 + FENCED_AFTER_MS, Date.now())
    .filter((s) => s.holders.some((h) => cut.includes(h))).length;
}

/** Watches for SETTLE_WINDOW_MS from now (the restore): ms until exactly one holder for good, or null. */
export async function settleAfterRestore(lab: VipFaultLab): Promise<number | null> {
  const restored = Date.now();
  await sleep(SETTLE_WINDOW_MS);
  const settled = settledFrom(lab.checker.samplesBetween(restored, Date.now()));
  return settled === null ? null : Math.max(0, Math.round(settled - restored));
}

export function summarize(values: number[]): { n: number; median: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, median: s[Math.floor((s.length - 1) / 2)] ?? 0, max: s[s.length - 1] ?? 0 };
}
