// The simulated world's parts (sim-world.ts): its options, one host (kernel, agent run, serial action
// queue) and the glue state of its agent run, the one elector-loop.ts keeps.
import type { Accepted } from '../../../../src/agent/vip/advert-cadence.js';
import type { Election } from '../../../../src/agent/vip/election.js';
import type { SimKernel } from './sim-core.js';

export interface WorldOptions {
  n: number;
  seed: number;
  /** Probability that one advert is lost on one link. */
  loss: number;
  /** Every action takes 0..maxDelayMs (uniform, drawn per action). */
  maxDelayMs: number;
  advertIntervalMs?: number;
  /** Negative control only: the glue "forgets" to apply releases (the checker must then fail). */
  dropReleases?: boolean;
}

export interface SimHost {
  index: number;
  id: string;
  kernel: SimKernel;
  election: Election | undefined;
  /** Agent run: scheduled work of an earlier run (killed agent) is dropped. */
  run: number;
  /** Machine boot: in-flight kernel actions of an earlier boot are dropped by a reboot. */
  boot: number;
  starts: number;
  /** The agent applies kernel actions one after the other (one ip -batch child): when the last ends. */
  busyUntil: number;
  /** Kernel actions scheduled and not yet applied. */
  pending: number;
  /** This run's glue: what its last kernel action or read saw, its tick timer, its lease's last renewal. */
  glue: Glue;
}

/** The glue state of one agent run (a restarted agent starts with none of it). */
export interface Glue {
  sight: { present: boolean; at: number } | undefined;
  lastTickAt: number;
  /** When the periodic tick timer fires (moved at every evaluation, advert-cadence.ts nextTickAt). */
  timerDue: number;
  /** The tick timer's and the advert timer's current arming: an earlier arming's event is void. */
  timerArm: number;
  advertDue: number;
  advertArm: number;
  /** When this run last sent an advert. */
  lastSentAt: number;
  /** The last advert this run accepted from each host (elector.ts: a repeat may be dropped). */
  accepted: Map<string, Accepted>;
  /** Start time of the last claim or renewal that went in (kernel-lease.ts sentAt); undefined: none. */
  leaseSentAt: number | undefined;
}

/** kernel-lease.ts: a renewal more than lifetime / 2 after the previous one is refused. */
export const MAX_RENEW_GAP_MS = 500;
export const freshGlue = (): Glue => ({
  sight: undefined,
  lastTickAt: Number.NEGATIVE_INFINITY,
  timerDue: Number.POSITIVE_INFINITY,
  timerArm: 0,
  advertDue: Number.POSITIVE_INFINITY,
  advertArm: 0,
  lastSentAt: Number.NEGATIVE_INFINITY,
  accepted: new Map(),
  leaseSentAt: undefined,
});

export interface KernelEvent {
  at: number;
  host: number;
  kind: 'add' | 'del';
}
