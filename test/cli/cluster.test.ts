import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterHarness, suffix } from '../workflows/support/cluster-harness.js';
import type { FakeHost } from '../workflows/support/fake-host.js';
import { runCli } from './helper.js';
import { type ListeningApi, listenApi } from './listening-api.js';

const TOKEN = 'cli-cluster-token-0123456789';

describe('edge-overlay cluster commands end to end', () => {
  let h: ClusterHarness;
  let server: ListeningApi;
  let hosts: FakeHost[];
  const name = `cli-${suffix()}`;
  const api = () => server.cliArgs();

  beforeAll(async () => {
    h = await ClusterHarness.create();
    server = await listenApi({
      client: h.client,
      token: TOKEN,
      uiBaseUrl: 'http://127.0.0.1:8233',
      taskQueue: h.taskQueue,
    });
    hosts = await h.addHosts(3, 'cli');
  });
  afterAll(async () => {
    await server.close();
    await h.close();
  });

  it('create --wait shows progress and ends with the Ready status table', async () => {
    const run = await runCli([
      'cluster',
      'create',
      name,
      `${hosts[0]!.hostId}:control-plane`,
      hosts[1]!.hostId,
      '--wait',
      '--timeout',
      '60s',
      '--interval',
      '200ms',
      ...api(),
    ]);
    expect(run.stderr).toContain(`cluster ${name} accepted; waiting for Ready`);
    expect(run.stderr).toMatch(new RegExp(`${name}: Ready \\(2 Joined\\)`));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Cluster:   ${name}`);
    expect(run.stdout).toContain('Phase:     Ready');
    expect(run.stdout).toContain(`VIP:       100.64.192.1 (on ${hosts[0]!.hostId})`);
    expect(run.stdout).toMatch(
      new RegExp(`${hosts[1]!.hostId}\\s+worker\\s+100\\.64\\.192\\.3\\s+10\\.213\\.\\d+\\.\\d+\\s+Joined`),
    );
    expect(run.stdout).toContain(`workflows/cluster%2F${name}`);
  });

  it('create again with the same spec is accepted (idempotent); a different spec is a clear 409', async () => {
    const same = await runCli([
      'cluster',
      'create',
      name,
      `${hosts[0]!.hostId}:cp`,
      hosts[1]!.hostId,
      ...api(),
    ]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain(`cluster ${name} accepted`);
    const other = await runCli(['cluster', 'create', name, hosts[1]!.hostId, '--vni', '7', ...api()]);
    expect(other.code).toBe(4);
    expect(other.stderr).toContain(`409 Conflict: cluster ${name} already exists with a different spec`);
  });

  it('status --json prints the API body', async () => {
    const run = await runCli(['cluster', 'status', name, '--json', ...api()]);
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout);
    expect(body).toMatchObject({ name, phase: 'Ready', vni: 100, mode: 'unicast' });
    expect(body.hosts).toHaveLength(2);
  });

  it('add-host --wait returns once the host is Joined; remove-host --wait once it is gone', async () => {
    const third = hosts[2]!.hostId;
    const wait = ['--wait', '--timeout', '60s', '--interval', '200ms'];
    const add = await runCli(['cluster', 'add-host', name, third, ...wait, ...api()]);
    expect(add.code).toBe(0);
    expect(add.stderr).toContain(`adding ${third} to ${name}`);
    expect(add.stdout).toBe(`${third} joined ${name}\n`);
    // --wait returned on the state the API shows, not before it.
    const joined = JSON.parse((await runCli(['cluster', 'status', name, '--json', ...api()])).stdout);
    expect(joined.hosts.find((x: { hostId: string }) => x.hostId === third)?.state).toBe('Joined');
    const again = await runCli(['cluster', 'add-host', name, third, ...api()]);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('409 Conflict');

    const rm = await runCli(['cluster', 'remove-host', name, third, ...wait, ...api()]);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe(`${third} removed from ${name}\n`);
    const after = JSON.parse((await runCli(['cluster', 'status', name, '--json', ...api()])).stdout);
    expect(after.hosts.map((x: { hostId: string }) => x.hostId)).not.toContain(third);
    const rmAgain = await runCli(['cluster', 'remove-host', name, third, ...api()]);
    expect(rmAgain.code).toBe(3);
    expect(rmAgain.stderr).toContain(`404 Not Found: host ${third} is not in cluster ${name}`);
  });

  it('events prints an ordered table; list shows the cluster', async () => {
    const run = await runCli(['cluster', 'events', name, ...api()]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SEQ\s+TIME\s+TYPE\s+HOST\s+DATA$/);
    expect(lines[1]).toMatch(/^1\s+\S+\s+ClusterCreated\s+-\s+overlayCidr=100\.64\.192\.0\/24/);
    expect(run.stdout).toContain('HostJoined');
    expect(run.stdout).toContain('HostRemoved');
    const json = JSON.parse((await runCli(['cluster', 'events', name, '--json', ...api()])).stdout);
    expect(json[0].type).toBe('ClusterCreated');

    // Visibility (search attributes) trails the workflow: wait for the count after the removal.
    const listed = new RegExp(`${name}\\s+\\w+\\s+2\\s+http`);
    const list = await h.waitFor(
      'listed with 2 hosts',
      () => runCli(['cluster', 'list', ...api()]),
      (r) => listed.test(r.stdout),
    );
    expect(list.code).toBe(0);
  });

  it('delete --wait returns once the cluster is gone', async () => {
    const run = await runCli([
      'cluster',
      'delete',
      name,
      '--wait',
      '--interval',
      '200ms',
      '--timeout',
      '60s',
      ...api(),
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`cluster ${name} deleted`);
    const status = await runCli(['cluster', 'status', name, ...api()]);
    expect(status.code).toBe(3);
    expect(status.stderr).toContain('404 Not Found');
  });

  it('create --wait gives up with exit code 5 when the cluster does not become Ready in time', async () => {
    const [slow] = await h.addHosts(1, 'slow', () => ({ failPreflight: true }));
    const run = await runCli([
      'cluster',
      'create',
      `cli-slow-${suffix()}`,
      `${slow!.hostId}:cp`,
      '--wait',
      '--timeout',
      '2s',
      '--interval',
      '200ms',
      ...api(),
    ]);
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/timed out after 2s waiting for cli-slow-\w+ to become Ready \(phase \w+\)/);
  });
});
