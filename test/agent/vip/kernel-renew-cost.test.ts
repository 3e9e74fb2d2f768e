// What a VIP renewal costs in CPU: one `ip addr change` exec per renewal versus a line written to the
// lease's persistent `ip -batch` child (what VipLease does). CPU, not wall time: the machine is shared.
// Parent CPU from process.cpuUsage(); child CPU from /proc (waited-for children's cutime+cstime for the
// execs, the batch child's own utime+stime), in clock ticks of 10 ms, so many renewals are counted.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VipLease } from '../../../src/agent/vip/kernel-lease.js';
import { addrSetLifetime, processRunner } from '../../../src/net/index.js';
import { notRoot } from '../../helpers/netns-lab.js';
import { createOverlayLab, type OverlayLab, VIP } from './kernel-lab.js';

const TICK_MS = 10; // USER_HZ = 100 on Linux
/** [own CPU, waited-for children's CPU] of a process, ms. */
function procCpu(pid: number): [number, number] {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return [(Number(f[11]) + Number(f[12])) * TICK_MS, (Number(f[13]) + Number(f[14])) * TICK_MS];
}
const parentCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

describe.skipIf(notRoot('VIP renew cost'))('VIP renew CPU cost: exec vs ip -batch (netns)', () => {
  let o: OverlayLab;
  let lease: VipLease;
  beforeAll(async () => {
    o = await createOverlayLab(1);
    lease = o.lease(0, { maxRenewGapMs: 60_000 }); // the loop below renews back to back
  });
  afterAll(() => o?.cleanup());

  it('a batch renewal costs a small fraction of an exec', async () => {
    const ns = o.lab.hosts[0]!.ns;
    await lease.claim();
    const execs = 150;
    let p0 = parentCpu();
    let c0 = procCpu(process.pid)[1];
    let t0 = performance.now();
    for (let i = 0; i < execs; i++)
      await addrSetLifetime(processRunner, 'change', 'scbr-100', VIP, 32, 1, ns);
    const exec = {
      parentMs: (parentCpu() - p0) / execs,
      childMs: (procCpu(process.pid)[1] - c0) / execs,
      wallMs: (performance.now() - t0) / execs,
    };
    const batched = 1500;
    expect(await lease.renew()).toBe('renewed');
    const pid = (lease as unknown as { batch: { pid: number } }).batch.pid;
    p0 = parentCpu();
    c0 = procCpu(pid)[0];
    t0 = performance.now();
    for (let i = 0; i < batched; i++) expect(await lease.renew()).toBe('renewed');
    const batch = {
      parentMs: (parentCpu() - p0) / batched,
      childMs: (procCpu(pid)[0] - c0) / batched,
      wallMs: (performance.now() - t0) / batched,
    };
    const r = (v: number) => Math.round(v * 1000) / 1000;
    const show = (m: typeof exec) => ({
      cpuMs: r(m.parentMs + m.childMs),
      parentMs: r(m.parentMs),
      childMs: r(m.childMs),
      wallMs: r(m.wallMs),
    });
    console.log(
      `[vip] renew cost per renewal: exec ${JSON.stringify(show(exec))} batch ${JSON.stringify(show(batch))}`,
    );
    expect(await lease.read()).toBe(true);
    expect(batch.parentMs + batch.childMs).toBeLessThan((exec.parentMs + exec.childMs) / 5);
    await lease.release();
  });
});
