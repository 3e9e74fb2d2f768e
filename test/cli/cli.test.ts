// The CLI against a real API server (listening on a port) and the real dev server.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlActivities } from '../../src/activities/control/index.js';
import { ago, table } from '../../src/cli/format.js';
import { parseHostArg } from '../../src/cli/cluster.js';
import { freePort } from '../../src/dev/process.js';
import { runningWorker, testClient, uniqueTaskQueue } from '../helpers/temporal.js';
import { runCli } from './helper.js';
import { type ListeningApi, listenApi } from './listening-api.js';

const TOKEN = 'cli-test-token-0123456789';
const hid = (name: string) => `${name}-${randomUUID().slice(0, 6)}`;

describe('edge-overlay CLI over the API', () => {
  let tc: Awaited<ReturnType<typeof testClient>>;
  let server: ListeningApi;
  let controlWorker: { stop: () => Promise<void> };
  const taskQueue = uniqueTaskQueue('cli');
  const api = () => server.cliArgs();

  beforeAll(async () => {
    tc = await testClient();
    server = await listenApi({ client: tc.client, token: TOKEN, taskQueue });
    controlWorker = await runningWorker({
      taskQueue,
      activities: createControlActivities({ client: tc.client }),
    });
  });
  afterAll(async () => {
    await controlWorker.stop();
    await server.close();
    await tc.close();
  });

  it('`hosts` prints a table, and --json the API body', async () => {
    const hostId = hid('cli');
    const reg = await fetch(`${server.url}/v1/hosts/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ hostId, underlayIp: '10.213.1.5', underlayIface: 'eth0' }),
    });
    expect(reg.status).toBe(200);
    let run = await runCli(['hosts', ...api()]);
    for (let i = 0; i < 150 && !run.stdout.includes(hostId); i++) {
      await new Promise((r) => setTimeout(r, 200));
      run = await runCli(['hosts', ...api()]);
    }
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^HOST\s+UNDERLAY IP\s+IFACE\s+CLUSTER\s+LAST SEEN/);
    expect(run.stdout).toMatch(new RegExp(`${hostId}\\s+10\\.213\\.1\\.5\\s+eth0\\s+-\\s+\\d+s ago`));
    const json = await runCli(['hosts', '--json', ...api()]);
    expect(JSON.parse(json.stdout).find((h: { hostId: string }) => h.hostId === hostId).underlayIp).toBe(
      '10.213.1.5',
    );
  });

  it('`hosts get HOST` prints one host (--json: its API record); an unknown host is exit 3', async () => {
    const hostId = hid('get');
    const reg = await fetch(`${server.url}/v1/hosts/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        hostId,
        underlayIp: '10.213.1.9',
        underlayIface: 'eth1',
        labels: { rack: 'r2' },
      }),
    });
    expect(reg.status).toBe(200);
    let run = await runCli(['hosts', 'get', hostId, ...api()]);
    for (let i = 0; i < 150 && run.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      run = await runCli(['hosts', 'get', hostId, ...api()]);
    }
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Host:\\s+${hostId}\n`));
    expect(run.stdout).toMatch(/\nUnderlay:\s+10\.213\.1\.9 on eth1\n/);
    expect(run.stdout).toMatch(/\nCluster:\s+-\n/);
    expect(run.stdout).toMatch(/\nLabels:\s+rack=r2\n/);
    const json = await runCli(['hosts', 'get', hostId, '--json', ...api()]);
    expect(JSON.parse(json.stdout)).toMatchObject({ hostId, underlayIp: '10.213.1.9', cluster: null });
    const missing = await runCli(['hosts', 'get', hid('nobody'), ...api()]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^edge-overlay: host nobody-\w+: 404 Not Found: /);
  });

  it('reports a problem+json 400 with its field errors and exits 2', async () => {
    const run = await runCli(['cluster', 'create', hid('c'), hid('ghost'), `${hid('ghost')}:cp`, ...api()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/create cluster .*: 400 Bad Request: 2 host\(s\) are not registered/);
    expect(run.stderr).toMatch(/\n {2}hosts\[0\]\.hostId: host ghost-\w+ is not registered/);
    expect(run.stderr).not.toContain('    at ');
  });

  it('reports 404 for a missing cluster (exit 3)', async () => {
    const run = await runCli(['cluster', 'status', 'no-such-cluster', ...api()]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      'cluster no-such-cluster: 404 Not Found: cluster no-such-cluster does not exist',
    );
  });

  it('reports 401 with a hint when the token is wrong', async () => {
    const bad = join(server.dir, 'wrong-token');
    writeFileSync(bad, 'wrong-token-0123456789');
    const run = await runCli(['cluster', 'list', '--api', server.url, '--token-file', bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('401 Unauthorized: invalid bearer token');
    expect(run.stderr).toContain('EDGE_OVERLAY_TOKEN');
  });

  it('reports an unreachable API clearly', async () => {
    const run = await runCli([
      'hosts',
      '--api',
      `http://127.0.0.1:${await freePort()}`,
      '--token-file',
      server.tokenFile,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /list hosts: cannot reach the API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
  });

  it('rejects bad arguments before calling the API', async () => {
    const badHost = await runCli(['cluster', 'create', 'alpha', 'h1;reboot', ...api()]);
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toContain("host 'h1;reboot'");
    const badRole = await runCli(['cluster', 'create', 'alpha', 'h1:boss', ...api()]);
    expect(badRole.stderr).toContain('role must be control-plane or worker');
    const badCidr = await runCli([
      'cluster',
      'create',
      'alpha',
      'h1',
      '--overlay-cidr',
      '10.0.0.0/40',
      ...api(),
    ]);
    expect(badCidr.stderr).toContain('must be an IPv4 CIDR');
    const badUrl = await runCli(['hosts', '--api', 'ftp://x', '--token-file', server.tokenFile]);
    expect(badUrl.stderr).toContain('must be an http(s) URL');
    const badTimeout = await runCli([
      'cluster',
      'create',
      'alpha',
      'h1',
      '--wait',
      '--timeout',
      'soon',
      ...api(),
    ]);
    expect(badTimeout.stderr).toContain("'soon' is not a duration");
  });

  it('`cluster list` prints an empty state without error', async () => {
    const run = await runCli(['cluster', 'list', ...api()]);
    expect(run.code).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(0);
  });

  it('the installed binary runs, and exits 2 with a message when no token is configured', async () => {
    const cwd = join(server.dir, 'no-token-cwd');
    mkdirSync(cwd);
    const bin = new URL('../../bin/edge-overlay.js', import.meta.url).pathname;
    const res = await execa('node', [bin, 'hosts', '--api', server.url], {
      cwd,
      reject: false,
      env: { EDGE_OVERLAY_TOKEN: '' },
    });
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toContain('set EDGE_OVERLAY_TOKEN or pass --token-file FILE');
    const ok = await execa('node', [bin, 'hosts', '--json', '--api', server.url], {
      cwd,
      reject: false,
      env: { EDGE_OVERLAY_TOKEN: TOKEN },
    });
    expect(ok.exitCode).toBe(0);
    expect(Array.isArray(JSON.parse(ok.stdout))).toBe(true);
  });
});

describe('CLI formatting helpers', () => {
  it('aligns table columns', () => {
    expect(
      table(
        ['a', 'bb'],
        [
          ['xxx', 'y'],
          [null, 'zz'],
        ],
      ),
    ).toBe('A    BB\nxxx  y\n-    zz');
  });
  it('prints relative times', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    expect(ago('2026-01-01T00:09:50Z', now)).toBe('10s ago');
    expect(ago('2026-01-01T00:00:00Z', now)).toBe('10m ago');
    expect(ago(null, now)).toBe('-');
  });
  it('parses host arguments with role aliases', () => {
    expect(parseHostArg('h1')).toEqual({ hostId: 'h1', role: 'worker' });
    expect(parseHostArg('h1:cp')).toEqual({ hostId: 'h1', role: 'control-plane' });
    expect(parseHostArg('h1:control-plane')).toEqual({ hostId: 'h1', role: 'control-plane' });
    expect(() => parseHostArg('h1:x:y')).toThrow();
    expect(() => parseHostArg('../h1')).toThrow();
  });
});
