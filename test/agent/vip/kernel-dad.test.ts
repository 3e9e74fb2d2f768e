// DAD and takeover over a real unicast VxLAN overlay (3 netns hosts): a probe from h2 finds the VIP held
// by h1 and is clean when nobody holds it; after h1 releases and h2 claims, h3's pings to the VIP reach
// h2 at once (the gratuitous ARP moved h3's neighbour entry). Prints DAD and takeover times.
import { execa } from 'execa';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VipLease } from '../../../src/agent/vip/kernel-lease.js';
import { addrDel, addrReplace, processRunner, ping } from '../../../src/net/index.js';
import { notRoot } from '../../helpers/netns-lab.js';
import { createOverlayLab, type OverlayLab, sleep, summary, VIP } from './kernel-lab.js';

/** The MAC h3's kernel sends VIP traffic to (its overlay neighbour entry), or null. */
async function vipNeighbour(ns: string): Promise<string | null> {
  const { stdout } = await execa('ip', ['-n', ns, '-j', 'neigh', 'show', VIP, 'dev', 'scbr-100']);
  const entries = JSON.parse(stdout || '[]') as Array<{ lladdr?: string }>;
  return entries[0]?.lladdr ?? null;
}

describe.skipIf(notRoot('VIP DAD and takeover'))('VIP DAD and takeover (netns overlay, real kernel)', () => {
  let o: OverlayLab;
  let leases: VipLease[];

  beforeAll(async () => {
    o = await createOverlayLab(3);
    leases = [o.lease(0), o.lease(1), o.lease(2)];
  });
  afterAll(() => o?.cleanup());

  it('DAD from h2 says taken while h1 holds the VIP and clean when nobody does (5 runs each)', async () => {
    const [a, b] = leases as [VipLease, VipLease];
    const taken: number[] = [];
    const clean: number[] = [];
    for (let run = 0; run < 5; run++) {
      await a.claim();
      expect(await b.probe()).toBe('taken');
      taken.push(b.lastProbeMs!);
      await a.release();
      expect(await b.probe()).toBe('clean');
      clean.push(b.lastProbeMs!);
    }
    console.log(
      `[vip] DAD (deadline 100 ms) taken ${JSON.stringify(summary(taken))} clean ${JSON.stringify(summary(clean))}`,
    );
    expect(summary(clean).min).toBeGreaterThanOrEqual(100); // it waited out the deadline
  });

  it('a VIP left by a dead agent (no release) is seen by DAD until its lifetime runs out', async () => {
    const [a, b] = leases as [VipLease, VipLease];
    await a.claim();
    const t0 = performance.now();
    expect(await b.probe()).toBe('taken');
    while ((await b.probe()) === 'taken') expect(performance.now() - t0).toBeLessThan(2500);
    expect(await a.read()).toBe(false);
    console.log(`[vip] DAD clean ${Math.round(performance.now() - t0)} ms after an unrenewed claim`);
  });

  it('after h1 releases and h2 claims, h3 reaches the VIP on h2 within 1 s (GARP), 5 runs', async () => {
    const [a, b, c] = leases as [VipLease, VipLease, VipLease];
    const h3 = o.lab.hosts[2]!.ns;
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      const [from, to, toIndex] = run % 2 === 0 ? [a, b, 1] : [b, a, 0];
      await from.claim();
      expect((await ping(processRunner, VIP, 1, 500, h3)).received).toBe(1);
      expect(await vipNeighbour(h3)).toBe(o.bridgeMac(toIndex === 1 ? 0 : 1));
      await from.release();
      const t0 = performance.now();
      await to.claim();
      const claimed = performance.now() - t0;
      let reached = false;
      while (!reached && performance.now() - t0 < 1000)
        reached = (await ping(processRunner, VIP, 1, 100, h3)).received === 1;
      const took = performance.now() - t0;
      expect(reached).toBe(true);
      expect(await vipNeighbour(h3)).toBe(o.bridgeMac(toIndex));
      times.push(took);
      console.log(
        `[vip] takeover run ${run}: claim ${Math.round(claimed)} ms, first reply ${Math.round(took)} ms`,
      );
      await to.release();
      expect(await c.read()).toBe(false);
      await sleep(50);
    }
    console.log(`[vip] takeover (claim start → h3's first ping reply) ${JSON.stringify(summary(times))}`);
  });

  it('control: without the gratuitous ARP, h3 keeps sending to the old holder (no reply for 500 ms)', async () => {
    const [a] = leases as [VipLease];
    const h3 = o.lab.hosts[2]!.ns;
    await a.claim();
    expect((await ping(processRunner, VIP, 1, 500, h3)).received).toBe(1);
    await a.release();
    await addrReplace(processRunner, 'scbr-100', VIP, 32, o.lab.hosts[1]!.ns); // h2 takes it silently
    try {
      const t0 = performance.now();
      while (performance.now() - t0 < 500)
        expect((await ping(processRunner, VIP, 1, 100, h3)).received).toBe(0);
      expect(await vipNeighbour(h3)).toBe(o.bridgeMac(0));
    } finally {
      await addrDel(processRunner, 'scbr-100', VIP, 32, o.lab.hosts[1]!.ns);
    }
  });
});
