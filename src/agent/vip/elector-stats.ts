// Counters of one VIP elector, for status() and the lab's reports: adverts in and out, rejections by
// reason, kernel actions and their failures, how ticks saw the kernel.
import type { AdvertRejectReason } from './advert-verifier.js';

export interface VipElectorCounters {
  sent: number;
  sendFailed: number;
  accepted: number;
  rejected: Partial<Record<AdvertRejectReason, number>>;
  probe: number;
  /** DAD found the VIP answering somewhere (or could not probe). */
  dadTaken: number;
  claim: number;
  renew: number;
  /** Renewals refused as too late: the address was deleted (kernel-lease.ts). */
  lapsed: number;
  release: number;
  /** Kernel actions that threw. */
  failed: number;
  /** Ticks that read the kernel, and ticks that used the last action's sight of it (elector-loop.ts). */
  kernelReads: number;
  cachedTicks: number;
  lastProbeMs?: number;
}

type Counted = Exclude<keyof VipElectorCounters, 'rejected' | 'lastProbeMs'>;

export class ElectorStats {
  private readonly c: Record<Counted, number> = {
    sent: 0,
    sendFailed: 0,
    accepted: 0,
    probe: 0,
    dadTaken: 0,
    claim: 0,
    renew: 0,
    lapsed: 0,
    release: 0,
    failed: 0,
    kernelReads: 0,
    cachedTicks: 0,
  };
  private readonly rejects: Partial<Record<AdvertRejectReason, number>> = {};

  count(name: Counted): void {
    this.c[name]++;
  }

  rejected(reason: AdvertRejectReason): void {
    this.rejects[reason] = (this.rejects[reason] ?? 0) + 1;
  }

  snapshot(lastProbeMs: number | undefined): VipElectorCounters {
    return {
      ...this.c,
      rejected: { ...this.rejects },
      ...(lastProbeMs !== undefined ? { lastProbeMs: Math.round(lastProbeMs) } : {}),
    };
  }
}
