// VIP failover end to end: an HTTP service on every control-plane host, a client on a worker host
// talking to the VIP; the VIP holder's namespace is cut off the L2 (its switch port goes down). The other
// two control-plane hosts still see each other (2 of 3, a majority) and elect a new holder among themselves
// within a second (issue 13; gratuitous ARP on claim); the client keeps working. Separately the broker drops
// the silent agent's session (1.5 × its 10 s keepalive) and publishes its Last Will after the 10 s will
// delay: the cluster declares that host, and only it, Lost. Prints the measured gap.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_KEEPALIVE_S, AGENT_WILL_DELAY_S } from '../../src/contract/host-channel.js';
import { waitFor } from '../../src/dev/process.js';
import { trackPid } from '../../src/lab/lab.js';
import { spawnInNetns } from '../../src/lab/netns.js';
import { processRunner } from '../../src/net/index.js';
import { notRoot } from '../helpers/netns-lab.js';
import { type E2eEnv, startE2e } from './helpers.js';

const root = !notRoot('test/e2e/vip-failover.test.ts');
const fixture = join(import.meta.dirname, 'fixtures', 'vip-http.ts');
/** Keepalive 10 s × 1.5 until the broker gives up on the cut agent, then the 10 s will delay. */
const OFFLINE_AFTER_MS = 1.5 * AGENT_KEEPALIVE_S * 1000 + AGENT_WILL_DELAY_S * 1000;

interface Probe {
  t: number;
  ok: boolean;
  who?: string;
}
const readProbes = (file: string): Probe[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Probe)
    : [];

describe.skipIf(!root)('e2e: VIP failover when the holder is cut off (netns, root)', () => {
  let env: E2eEnv;

  beforeAll(async () => {
    env = await startE2e({ hosts: 4, controlPlanes: 3 });
  }, 240_000);

  afterAll(async () => {
    await env?.close();
  }, 120_000);

  it('a client of the VIP keeps working after the holder vanishes', async () => {
    const { lab } = env;
    const holderId = env.cluster.vipHolder!;
    const cps = env.cluster.hosts.filter((h) => h.role === 'control-plane').map((h) => h.hostId);
    const spawnFixture = async (
      ns: string,
      args: string[],
      vars: Record<string, string>,
      logFile: string,
    ) => {
      const p = await spawnInNetns(ns, process.execPath, ['--import', 'tsx', fixture, ...args], {
        env: { PATH: process.env['PATH'], ...vars },
        cwd: join(import.meta.dirname, '..', '..'),
        logFile,
      });
      trackPid(lab, { pid: p.pid, comm: 'node' });
    };
    for (const h of lab.hosts.filter((x) => cps.includes(x.hostId)))
      await spawnFixture(
        h.ns,
        ['serve'],
        { HOST_ID: h.hostId },
        join(lab.runDir, `${h.hostId}.vip-serve.log`),
      );
    const worker = lab.hosts.find((h) => !cps.includes(h.hostId))!;
    const clientLog = join(lab.runDir, 'vip-client.log');
    await spawnFixture(
      worker.ns,
      ['client'],
      { VIP: env.cluster.vip, INTERVAL_MS: '100', TIMEOUT_MS: '300' },
      clientLog,
    );
    await waitFor(
      'the client to reach the VIP holder',
      async () => readProbes(clientLog).some((p) => p.ok && p.who === holderId),
      {
        timeoutMs: 20_000,
      },
    );

    const holder = lab.hosts.find((h) => h.hostId === holderId)!;
    await processRunner.run('ip', ['-n', lab.switchNs, 'link', 'set', holder.switchPort, 'down']);
    // Taken once the port is down: a probe sent while `ip` ran could still be answered by the old holder
    // (seen in CI: a 101 ms "gap" answered by the holder itself).
    const cutAt = Date.now();
    await waitFor(
      'the client to be answered by the new VIP holder',
      async () => readProbes(clientLog).some((p) => p.ok && p.t > cutAt && p.who !== holderId),
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    const probes = readProbes(clientLog);
    const lastBefore = probes.filter((p) => p.ok && p.t <= cutAt).at(-1)!;
    const firstAfter = probes.find((p) => p.ok && p.t > cutAt)!;
    process.stdout.write(
      `[e2e] VIP gap ${firstAfter.t - lastBefore.t} ms (broker keepalive ${AGENT_KEEPALIVE_S} s, will delay ${AGENT_WILL_DELAY_S} s); ${holderId} -> ${firstAfter.who}\n`,
    );
    expect(firstAfter.who).not.toBe(holderId);
    // the site's election: ≤ 2 s (issue 13 point 3), not the broker's ~25 s liveness verdict
    expect(firstAfter.t - cutAt).toBeLessThanOrEqual(2000);
    expect(cps).toContain(firstAfter.who);
    // Once moved, it stays working.
    await new Promise((r) => setTimeout(r, 1000));
    const tail = readProbes(clientLog).filter((p) => p.t > firstAfter.t);
    expect(tail.length).toBeGreaterThan(3);
    expect(tail.every((p) => p.ok)).toBe(true);

    // the holder's report reaches the API within 2 s of the claim (issue 13 point 5)
    let view = await env.api.getCluster(env.name);
    await waitFor(
      'the API to name the new holder',
      async () => {
        view = await env.api.getCluster(env.name);
        return view.vipHolder === firstAfter.who;
      },
      { timeoutMs: 3000, intervalMs: 100 },
    );
    expect(view.vip).toBe(env.cluster.vip);
    // the hosts that stayed connected kept their broker sessions: only the cut one is Lost
    let events = await env.api.events(env.name);
    await waitFor(
      'the cut host to be declared Lost',
      async () => {
        events = await env.api.events(env.name);
        return events.some((e) => e.type === 'HostLost');
      },
      { timeoutMs: OFFLINE_AFTER_MS + 20_000, intervalMs: 500 },
    );
    const lost = events.filter((e) => e.type === 'HostLost');
    expect(lost.map((e) => e.hostId)).toEqual([holderId]);
    expect(lost[0]?.data).toMatchObject({ reason: 'Offline' });
  }, 180_000);
});
