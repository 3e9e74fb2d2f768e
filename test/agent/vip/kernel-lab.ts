// A unicast VxLAN overlay of N hosts in network namespaces, built with the real host activities, for the
// VIP lease tests; every lease opened through it is released and closed by cleanup().
import { pino } from 'pino';
import { deviceMac } from '../../../src/activities/host/index.js';
import { VipLease, type VipLeaseOptions } from '../../../src/agent/vip/kernel-lease.js';
import { OVERLAY_BRIDGE } from '../../../src/domain/constants.js';
import { testSpec } from '../../fixtures/overlay-spec.js';
import { createLab, type Lab } from '../../helpers/netns-lab.js';
import { labHostActivities } from '../../helpers/lab-activities.js';

export const spec = testSpec({ clusterName: 'vip' });
export const VIP = spec.vip;

export interface OverlayLab {
  lab: Lab;
  overlayIps: string[];
  /** The MAC that answers for the VIP on host i (its bridge). */
  bridgeMac(i: number): string;
  lease(i: number, opts?: Partial<VipLeaseOptions>): VipLease;
  cleanup(): Promise<void>;
}

export async function createOverlayLab(hosts: number): Promise<OverlayLab> {
  const lab = await createLab({ hosts });
  const leases: VipLease[] = [];
  const log = pino({ level: 'silent' });
  const overlayIps = lab.hosts.map((_, i) => `100.64.192.${11 + i}`);
  try {
    const acts = labHostActivities(lab, log);
    const peers = lab.hosts.map((h, i) => ({
      hostId: h.name,
      underlayIp: h.underlayIp,
      overlayIp: overlayIps[i]!,
    }));
    for (const [i, a] of acts.entries()) await a.applyOverlay({ spec, overlayIp: overlayIps[i]! });
    for (const a of acts) await a.setPeers({ spec, peers });
  } catch (err) {
    await lab.cleanup();
    throw err;
  }
  return {
    lab,
    overlayIps,
    bridgeMac: (i) => deviceMac(lab.hosts[i]!.name, 'bridge'),
    lease(i, opts = {}) {
      const l = new VipLease({ vip: VIP, dev: OVERLAY_BRIDGE, netns: lab.hosts[i]!.ns, ...opts });
      leases.push(l);
      return l;
    },
    async cleanup() {
      for (const l of leases) await l.close().catch(() => undefined);
      await lab.cleanup();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function summary(values: number[]): { n: number; min: number; median: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  return { n: s.length, min: r(s[0]!), median: r(s[Math.floor(s.length / 2)]!), max: r(s[s.length - 1]!) };
}
