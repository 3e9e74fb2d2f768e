// The product's promise with real parts: a 3-host cluster created through the API, a real etcd on
// the overlay IPs, a DHCP outage that renumbers every host; etcd comes back untouched while an etcd
// bound to the underlay does not. Then the same outage with the control plane (API and broker)
// unreachable: the overlay heals through the underlay beacon alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/dev/process.js';
import {
  clusterHealthy,
  type EtcdCluster,
  etcdGet,
  etcdPut,
  memberList,
  startEtcdCluster,
  waitForEtcdHealthy,
} from '../../src/lab/etcd.js';
import { DEFAULT_BROKER_PORT } from '../../src/contract/host-channel.js';
import { startControlAccess, stopControlAccess, trackPid, underlayAddresses } from '../../src/lab/lab.js';
import { agentStateDir } from '../../src/lab/lab-agent.js';
import { runOutage } from '../../src/lab/outage.js';
import { processRunner, inNetns } from '../../src/net/index.js';
import {
  overlayEtcdMembers,
  overlayIps,
  overlayPingMatrix,
  underlayEtcdMembers,
  waitForOverlay,
} from '../../src/lab/scenario.js';
import { notRoot } from '../helpers/netns-lab.js';
import { type E2eEnv, startE2e } from './helpers.js';

const root = !notRoot('test/e2e/outage.test.ts');

describe.skipIf(!root)('e2e: DHCP outage with etcd on the overlay (netns, root)', () => {
  let env: E2eEnv;
  let ovEtcd: EtcdCluster;
  let ovIps: Record<string, string>;
  const target = () => ({ ns: env.lab.hosts[0]!.ns, endpoint: ovEtcd.endpoint(env.lab.hosts[0]!.hostId) });

  beforeAll(async () => {
    env = await startE2e({ hosts: 3 });
    ovIps = overlayIps(env.cluster);
    await waitForOverlay(env.lab.hosts, ovIps, 30_000);
    ovEtcd = await startEtcdCluster({
      members: overlayEtcdMembers(env.lab, ovIps),
      dataDir: join(env.lab.runDir, 'etcd-ov'),
      token: 'e2e-overlay',
    });
    for (const pid of ovEtcd.pids) trackPid(env.lab, { pid, comm: 'etcd' });
    await waitFor('overlay etcd healthy', () => clusterHealthy(target()), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
  }, 240_000);

  afterAll(async () => {
    await env?.close();
  }, 120_000);

  it('renumbers every host; overlay IPs, VIP, etcd data and membership survive; underlay etcd does not', async () => {
    const ul = await startEtcdCluster({
      members: underlayEtcdMembers(env.lab, await underlayAddresses(env.lab)),
      dataDir: join(env.lab.runDir, 'etcd-ul'),
      token: 'e2e-underlay',
      clientPort: 12379,
      peerPort: 12380,
      loopbackClient: true,
    });
    for (const pid of ul.pids) trackPid(env.lab, { pid, comm: 'etcd' });
    const ulLocal = { ns: env.lab.hosts[0]!.ns, endpoint: 'http://127.0.0.1:12379' };
    await waitFor('underlay etcd healthy', () => clusterHealthy(ulLocal), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    await etcdPut(target(), '/seed/written-before-outage', 'hello');
    await etcdPut(ulLocal, '/seed/ul', 'ul');
    const membersBefore = await memberList(target());
    const before = await env.api.getCluster(env.name);

    const outage = await runOutage(env.lab);
    for (const h of env.lab.hosts) expect(outage.after[h.hostId]).not.toBe(outage.before[h.hostId]);
    const overlayAt = await waitForOverlay(env.lab.hosts, ovIps, 20_000);
    const etcdAt = await waitForEtcdHealthy(target(), 20_000);
    process.stdout.write(
      `[e2e] renumber ${outage.renumberMs} ms; overlay ${overlayAt - outage.lastLeaseAtMs} ms and etcd ${etcdAt - outage.lastLeaseAtMs} ms after the last lease\n`,
    );
    expect(await etcdGet(target(), '/seed/written-before-outage')).toBe('hello');
    expect(await memberList(target())).toEqual(membersBefore);

    // The control plane recorded the new underlay addresses; overlay IPs and the VIP did not move.
    await waitFor(
      'cluster view with the new underlay addresses',
      async () => {
        const v = await env.api.getCluster(env.name);
        return v.hosts.every((h) => h.underlayIp === outage.after[h.hostId]);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const after = await env.api.getCluster(env.name);
    expect(after.vip).toBe(before.vip);
    expect(overlayIps(after)).toEqual(overlayIps(before));

    // Control case: the same outage leaves the underlay-bound etcd without quorum or a way back.
    expect(await clusterHealthy(ulLocal)).toBe(false);
    expect(await etcdGet(ulLocal, '/seed/ul')).toBeNull();
    await ul.stop();
  }, 180_000);

  it('heals through the underlay beacon while the control plane is unreachable', async () => {
    // each agent verifies a peer's beacon with the public key its peer table carries for that peer
    for (const h of env.lab.hosts) {
      const saved = JSON.parse(readFileSync(join(agentStateDir(env.lab, h), 'agent-state.json'), 'utf8')) as {
        peers: Array<{ hostId: string; publicKey?: string }>;
      };
      expect(saved.peers.length, h.hostId).toBe(env.lab.hosts.length - 1);
      for (const p of saved.peers)
        expect(p.publicKey, `${h.hostId}'s table entry for ${p.hostId}`).toBeTruthy();
    }
    await stopControlAccess(env.lab);
    try {
      const outage = await runOutage(env.lab);
      for (const h of env.lab.hosts) expect(outage.after[h.hostId]).not.toBe(outage.before[h.hostId]);
      const overlayAt = await waitForOverlay(env.lab.hosts, ovIps, 20_000);
      const etcdAt = await waitForEtcdHealthy(target(), 20_000);
      process.stdout.write(
        `[e2e] without the control plane: overlay ${overlayAt - outage.lastLeaseAtMs} ms and etcd ${etcdAt - outage.lastLeaseAtMs} ms after the last lease\n`,
      );
      // Still unreachable from the hosts: nothing they learned can have come from the control plane.
      const [file, args] = inNetns(env.lab.hosts[0]!.ns, 'socat', [
        '-T1',
        '/dev/null',
        `TCP:${env.lab.ctlIp}:${DEFAULT_BROKER_PORT},connect-timeout=1`,
      ]);
      expect((await processRunner.run(file, args, { reject: false })).exitCode).not.toBe(0);
      expect(await etcdGet(target(), '/seed/written-before-outage')).toBe('hello');
    } finally {
      await startControlAccess(env.lab, env.targets);
    }
    expect((await overlayPingMatrix(env.lab.hosts, ovIps)).ok).toBe(6);
    // back on the broker, every agent reports its new address and the control plane records it
    const addrs = await underlayAddresses(env.lab);
    await waitFor(
      'the cluster view with the addresses learned while the control plane was away',
      async () => (await env.api.getCluster(env.name)).hosts.every((h) => h.underlayIp === addrs[h.hostId]),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  }, 120_000);
});
