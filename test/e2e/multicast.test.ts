// Multicast mode over the v2 channel: a 3-host cluster created through the API with mode multicast needs
// no peer table (the vxlan device joins a group); after a DHCP outage that renumbers every host, each agent
// flushes its stale learned entries and announces itself, so the overlay comes back on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOutage } from '../../src/lab/outage.js';
import { overlayIps, overlayPingMatrix, waitForOverlay } from '../../src/lab/scenario.js';
import { processRunner } from '../../src/net/index.js';
import { notRoot } from '../helpers/netns-lab.js';
import { type E2eEnv, startE2e } from './helpers.js';

const root = !notRoot('test/e2e/multicast.test.ts');

describe.skipIf(!root)('e2e: multicast mode survives a renumbering (netns, root)', () => {
  let env: E2eEnv;
  let ips: Record<string, string>;

  beforeAll(async () => {
    env = await startE2e({ hosts: 3, mode: 'multicast' });
    ips = overlayIps(env.cluster);
  }, 240_000);

  afterAll(async () => {
    await env?.close();
  }, 120_000);

  it('joins a group with no peer entries, and heals after every host is renumbered', async () => {
    expect(env.cluster.mode).toBe('multicast');
    await waitForOverlay(env.lab.hosts, ips, 30_000);
    const h1 = env.lab.hosts[0]!.ns;
    const link = JSON.parse(
      (await processRunner.run('ip', ['-n', h1, '-j', '-d', 'link', 'show', 'dev', 'vxlan100'])).stdout,
    )[0];
    expect(link.linkinfo.info_data.group).toMatch(/^239\./);
    const fdb = JSON.parse(
      (await processRunner.run('bridge', ['-n', h1, '-j', 'fdb', 'show', 'dev', 'vxlan100'])).stdout,
    ) as Array<{ mac: string; dst?: string }>;
    // only the group entry: no head-end replication list
    expect(fdb.filter((e) => e.mac === '00:00:00:00:00:00').map((e) => e.dst)).toEqual([
      link.linkinfo.info_data.group,
    ]);

    const outage = await runOutage(env.lab);
    for (const h of env.lab.hosts) expect(outage.after[h.hostId]).not.toBe(outage.before[h.hostId]);
    const overlayAt = await waitForOverlay(env.lab.hosts, ips, 20_000);
    process.stdout.write(
      `[e2e] multicast: overlay back ${overlayAt - outage.lastLeaseAtMs} ms after the last lease\n`,
    );
    expect((await overlayPingMatrix(env.lab.hosts, ips)).ok).toBe(6);
  }, 120_000);
});
