import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportUnderlay } from '../../src/temporal/hosts.js';
import { ClusterHarness, suffix } from '../workflows/support/cluster-harness.js';
import type { FakeHost } from '../workflows/support/fake-host.js';
import { runCli } from './helper.js';
import { type ListeningApi, listenApi } from './listening-api.js';

const TOKEN = 'cli-overlay-token-0123456789';

describe('edge-overlay cluster create: overlay CIDR vs the underlay', () => {
  let h: ClusterHarness;
  let server: ListeningApi;
  let hosts: FakeHost[];
  const vni = 5000 + Math.floor(Math.random() * 10_000);
  const ours = `100.${90 + Math.floor(Math.random() * 20)}.${Math.floor(Math.random() * 250)}`;
  const api = () => server.cliArgs();
  const net = () => hosts[0]!.underlayIp.split('.').slice(0, 3).join('.');

  beforeAll(async () => {
    h = await ClusterHarness.create();
    server = await listenApi({
      client: h.client,
      token: TOKEN,
      uiBaseUrl: 'http://127.0.0.1:8233',
      taskQueue: h.taskQueue,
    });
    hosts = await h.addHosts(3, 'clio');
    for (const f of hosts) {
      f.underlaySeq += 1;
      const report = {
        hostId: f.hostId,
        seq: f.underlaySeq,
        underlayIp: f.underlayIp,
        underlayIface: 'eth0',
      };
      await reportUnderlay(h.client, { ...report, prefixLength: 24 }, { taskQueue: h.taskQueue });
    }
  });
  afterAll(async () => {
    await server?.close();
    await h?.close();
  });

  it("a CIDR over the hosts' subnet: 400 naming the field and the subnet, no usage dump", async () => {
    const run = await runCli([
      'cluster',
      'create',
      `clio-${suffix()}`,
      `${hosts[0]!.hostId}:control-plane`,
      '--overlay-cidr',
      `${net()}.128/25`,
      ...api(),
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('400');
    expect(run.stderr).not.toContain('Usage:');
    expect(run.stderr).toContain(
      `overlayCidr: ${net()}.128/25 overlaps the underlay subnet ${net()}.0/24 of host ${hosts[0]!.hostId}`,
    );
  });

  it('a CIDR + VNI another cluster uses on the same underlay: 409 naming it; --force creates it', async () => {
    const first = `clio-${suffix()}`;
    const ok = await runCli([
      'cluster',
      'create',
      first,
      `${hosts[0]!.hostId}:control-plane`,
      '--overlay-cidr',
      `${ours}.0/24`,
      '--vni',
      String(vni),
      ...api(),
    ]);
    expect(ok.code).toBe(0);
    const args = [
      'cluster',
      'create',
      `clio-${suffix()}`,
      `${hosts[1]!.hostId}:control-plane`,
      '--overlay-cidr',
      `${ours}.0/24`,
      '--vni',
      String(vni),
      ...api(),
    ];
    const refused = await runCli(args);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `409 Conflict: cluster ${first} already uses overlay ${ours}.0/24 with VNI ${vni} on the same underlay`,
    );
    expect(refused.stderr).toContain('"force": true');
    const forced = await runCli([...args, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('accepted');
  });
});
