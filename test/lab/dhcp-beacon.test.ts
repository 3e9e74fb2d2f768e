// Real dnsmasq + udhcpc in namespaces: leases, the outage (every address changes), underlay beacons
// (each host signing with its own key, verified against the public keys of its peer table) that
// re-learn every peer's new address with a newer seq and no control plane, and etcd bound to the
// underlay (the control case) that does not come back.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spkiBase64 } from '../../src/agent/beacon/index.js';
import { clusterHealthy, etcdGet, etcdPut, memberList, startEtcdCluster } from '../../src/lab/etcd.js';
import { createLab, destroyLab, trackPid, underlayAddresses } from '../../src/lab/lab.js';
import { spawnInNetns } from '../../src/lab/netns.js';
import { runOutage } from '../../src/lab/outage.js';
import type { LabState } from '../../src/lab/state.js';
import { waitFor } from '../../src/dev/process.js';
import { notRoot } from '../helpers/netns-lab.js';
import { inPool } from './helpers.js';

const root = !notRoot('test/lab/dhcp-beacon.test.ts');
const runner = join(import.meta.dirname, 'fixtures', 'beacon-runner.ts');

interface Learned {
  underlayIp: string;
  seq?: number;
}

/** hostId -> the address (and seq) one beacon runner last programmed, from its JSON-lines log. */
function learnedWithSeq(logFile: string): Map<string, Learned> {
  const out = new Map<string, Learned>();
  if (!existsSync(logFile)) return out;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const rec = JSON.parse(line) as { hostId?: string; underlayIp?: string; seq?: number };
    if (rec.hostId && rec.underlayIp) out.set(rec.hostId, { underlayIp: rec.underlayIp, seq: rec.seq });
  }
  return out;
}
const learned = (logFile: string): Map<string, string> =>
  new Map([...learnedWithSeq(logFile)].map(([h, l]) => [h, l.underlayIp]));

describe.skipIf(!root)('DHCP lab, outage and underlay beacon (netns, root)', () => {
  let lab: LabState;
  const logs = new Map<string, string>();

  beforeAll(async () => {
    lab = await createLab({ hosts: 3, runDir: mkdtempSync(join(tmpdir(), 'eo-lab-')), dhcp: true });
    // every host its own key; every runner's table lists the others with their public keys, at
    // placeholder addresses (TEST-NET-1) with seq 1: only the peers' own beacons can correct them
    const overlayIp = (i: number) => `100.64.192.${i + 2}`;
    const keys = lab.hosts.map(() => generateKeyPairSync('ed25519'));
    const table = lab.hosts.map((h, i) => ({
      hostId: h.hostId,
      underlayIp: `192.0.2.${i + 1}`,
      overlayIp: overlayIp(i),
      publicKey: spkiBase64(keys[i]!.privateKey),
      seq: 1,
    }));
    for (const [i, h] of lab.hosts.entries()) {
      const logFile = join(lab.runDir, `${h.hostId}.beacon.log`);
      logs.set(h.hostId, logFile);
      const stateDir = join(lab.runDir, `${h.hostId}.beacon-state`);
      mkdirSync(stateDir, { mode: 0o700 });
      const keyFile = join(stateDir, 'host.key');
      writeFileSync(keyFile, keys[i]!.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      const proc = await spawnInNetns(h.ns, process.execPath, ['--import', 'tsx', runner], {
        env: {
          PATH: process.env['PATH'],
          BEACON_CLUSTER: 'lab',
          BEACON_HOST: h.hostId,
          BEACON_OVERLAY_IP: overlayIp(i),
          BEACON_KEY_FILE: keyFile,
          BEACON_STATE_DIR: stateDir,
          BEACON_PEERS: JSON.stringify(table),
          BEACON_IFACE: h.iface,
        },
        logFile,
        cwd: join(import.meta.dirname, '..', '..'),
      });
      trackPid(lab, { pid: proc.pid, comm: 'node' });
    }
  }, 120_000);

  afterAll(async () => {
    if (lab) await destroyLab(lab);
  }, 120_000);

  it('every host gets a lease from the first pool, and beacons learn every peer', async () => {
    const addrs = await underlayAddresses(lab);
    for (const ip of Object.values(addrs)) expect(inPool(ip, lab.pools[0]!)).toBe(true);
    await waitFor(
      'beacons to learn every peer',
      async () =>
        lab.hosts.every((h) =>
          lab.hosts.every((p) => p === h || learned(logs.get(h.hostId)!).get(p.hostId) === addrs[p.hostId]),
        ),
      { timeoutMs: 20_000 },
    );
  });

  it('after the outage every address changed, and beacons learn the new ones without a control plane', async () => {
    const underlayEtcd = await startEtcdCluster({
      members: await Promise.all(
        lab.hosts.map(async (h) => ({
          name: h.hostId,
          ns: h.ns,
          ip: (await underlayAddresses(lab))[h.hostId]!,
        })),
      ),
      dataDir: join(lab.runDir, 'etcd-ul'),
      token: 'lab-underlay',
      clientPort: 12379,
      peerPort: 12380,
      loopbackClient: true,
    });
    for (const pid of underlayEtcd.pids) trackPid(lab, { pid, comm: 'etcd' });
    const h1 = lab.hosts[0]!;
    const viaLoopback = { ns: h1.ns, endpoint: 'http://127.0.0.1:12379' };
    const viaAddress = { ns: h1.ns, endpoint: underlayEtcd.endpoint(h1.hostId) };
    await waitFor('underlay etcd healthy', () => clusterHealthy(viaAddress), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    await etcdPut(viaAddress, '/seed/k', 'v1');
    const membersBefore = await memberList(viaAddress);
    expect(membersBefore.map((m) => m.name)).toEqual(lab.hosts.map((h) => h.hostId).sort());

    const seqBefore = new Map(lab.hosts.map((h) => [h.hostId, learnedWithSeq(logs.get(h.hostId)!)]));
    const outage = await runOutage(lab);
    for (const h of lab.hosts) {
      expect(outage.after[h.hostId]).not.toBe(outage.before[h.hostId]);
      expect(inPool(outage.after[h.hostId]!, lab.pools[1]!)).toBe(true);
    }
    await waitFor(
      'beacons to learn every new address',
      async () =>
        lab.hosts.every((h) =>
          lab.hosts.every(
            (p) => p === h || learned(logs.get(h.hostId)!).get(p.hostId) === outage.after[p.hostId],
          ),
        ),
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    const learnedAt = Date.now();
    // every new address came with a newer report seq than the one it replaced
    for (const h of lab.hosts)
      for (const [peer, now] of learnedWithSeq(logs.get(h.hostId)!))
        expect(now.seq).toBeGreaterThan(seqBefore.get(h.hostId)!.get(peer)!.seq!);
    process.stdout.write(
      `[lab] renumbered in ${outage.renumberMs} ms; beacons converged <= ${learnedAt - outage.lastLeaseAtMs} ms after the last lease\n`,
    );

    // Control case: etcd bound to the underlay stays broken (its advertised URLs are gone).
    await new Promise((r) => setTimeout(r, 5000));
    expect(await clusterHealthy(viaLoopback)).toBe(false);
    expect(await etcdGet(viaLoopback, '/seed/k')).toBeNull();
  }, 120_000);
});
