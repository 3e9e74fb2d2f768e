// `cluster events --follow` and `cluster status --watch` as an operator runs them (child process, Ctrl-C):
// columns stay aligned, a 503 or a dropped connection is ridden out with a one-line notice, --watch prints
// only on change, and Ctrl-C exits 0. The API is a scripted stub so the failures come exactly when wanted.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/domain/types.js';
import { json, problem, spawnCli, startStubApi } from './stub-api.js';

const dir = mkdtempSync(join(tmpdir(), 'eo-follow-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'follow-test-token-0123456789\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = (seq: number, type: string, hostId?: string): DomainEvent =>
  ({
    seq,
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    type,
    ...(hostId ? { hostId } : {}),
    data: { n: seq },
  }) as DomainEvent;

describe('cluster events --follow', () => {
  it('keeps its columns aligned and survives a 503 and a dropped connection', async () => {
    // 1: the first 9 events; 2: a 503; 3: the connection dropped; 4: a 503; 5: seq 10-11; then nothing new.
    const first = Array.from({ length: 9 }, (_, i) =>
      event(i + 1, i % 2 ? 'HostJoined' : 'PhaseChanged', 'h1'),
    );
    const later = [event(10, 'OverlayReconciled'), event(11, 'HostCommandStalled', 'a-much-longer-host-id')];
    const api = await startStubApi((_req, res, n) => {
      if (n === 1) return json(res, 200, first);
      if (n === 2 || n === 4) return json(res, 503, problem(503, 'Service Unavailable', 'temporal is down'));
      if (n === 3) return res.socket?.destroy();
      return json(res, 200, n === 5 ? later : []);
    });
    const cli = spawnCli([
      'cluster',
      'events',
      'c1',
      '--follow',
      '--interval',
      '100ms',
      '--api',
      api.url,
      '--token-file',
      tokenFile,
    ]);
    try {
      await cli.until('seq 11', (out) => out.includes('HostCommandStalled'));
      cli.child.kill('SIGINT');
      const result = await cli.child;
      expect(result.exitCode).toBe(0);
    } finally {
      cli.child.kill('SIGKILL');
      await api.close();
    }
    const lines = cli.stdout().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEQ\s+TIME\s+TYPE\s+HOST\s+DATA$/);
    expect(lines).toHaveLength(12);
    // Every row's TIME, TYPE and HOST column starts where the header's does, before and after the outage.
    const starts = (line: string) =>
      [...line.matchAll(/ {2}(?=\S)/g)].map((m) => (m.index ?? 0) + 2).slice(0, 3);
    for (const row of lines.slice(1, 11)) expect(starts(row)).toEqual(starts(lines[0]!));
    expect(lines[10]).toMatch(/^10\s+\S+\s+OverlayReconciled\s+-\s+n=10$/);
    // One notice per failure, naming it, and one when the API is back; no stack, no help.
    const notices = cli.stderr().trimEnd().split('\n');
    expect(notices).toEqual([
      expect.stringMatching(/^events of c1: .*503 Service Unavailable: temporal is down; retrying in 100ms$/),
      expect.stringMatching(/^events of c1: cannot reach the API at .*; retrying in 200ms$/),
      expect.stringMatching(/503 Service Unavailable.*; retrying in 400ms$/),
      'events of c1: the API answers again',
    ]);
    expect(api.requests.slice(4).every((r) => r.includes('after=9'))).toBe(true);
  });

  it('--json prints one event per line', async () => {
    const api = await startStubApi((_req, res, n) =>
      json(res, 200, n === 1 ? [event(1, 'ClusterCreated')] : []),
    );
    const args = ['cluster', 'events', 'c1', '--follow', '--json', '--interval', '100ms', '--api', api.url];
    const cli = spawnCli([...args, '--token-file', tokenFile]);
    try {
      await cli.until('a line', (out) => out.includes('\n'));
      cli.child.kill('SIGTERM');
      expect((await cli.child).exitCode).toBe(0);
    } finally {
      await api.close();
    }
    expect(JSON.parse(cli.stdout().trim())).toMatchObject({ seq: 1, type: 'ClusterCreated' });
  });
});

describe('cluster status --watch', () => {
  const view = (phase: string, state: string, lastSeen: string) => ({
    name: 'c1',
    phase,
    overlayCidr: '100.64.192.0/24',
    vip: '100.64.192.1',
    vipHolder: 'h1',
    vni: 100,
    mode: 'unicast',
    hosts: [
      {
        hostId: 'h1',
        role: 'control-plane',
        overlayIp: '100.64.192.2',
        underlayIp: '10.0.0.5',
        state,
        lastSeen,
      },
    ],
    conditions: [],
    workflowId: 'cluster/c1',
    uiUrl: 'http://127.0.0.1:8233/x',
  });

  it('--json prints one line per change (not per poll, not for last-seen) and Ctrl-C exits 0', async () => {
    // Polls 1-3 Provisioning (last seen moving), a 503, then Ready from poll 5 on.
    const api = await startStubApi((_req, res, n) => {
      const seen = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
      if (n === 4) return json(res, 503, problem(503, 'Service Unavailable', 'restarting'));
      json(res, 200, n < 4 ? view('Provisioning', 'Joining', seen) : view('Ready', 'Joined', seen));
    });
    const args = ['cluster', 'status', 'c1', '--watch', '--json', '--interval', '100ms', '--api', api.url];
    const cli = spawnCli([...args, '--token-file', tokenFile]);
    try {
      await cli.until('Ready', (out) => out.includes('"Ready"'));
      // A few more unchanged polls must print nothing.
      const polls = api.requests.length;
      await new Promise((r) => setTimeout(r, 600));
      expect(api.requests.length).toBeGreaterThan(polls + 2);
      cli.child.kill('SIGINT');
      expect((await cli.child).exitCode).toBe(0);
    } finally {
      cli.child.kill('SIGKILL');
      await api.close();
    }
    const lines = cli
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.phase, l.hosts[0].state])).toEqual([
      ['Provisioning', 'Joining'],
      ['Ready', 'Joined'],
    ]);
    expect(cli.stderr()).toMatch(/^cluster c1: .*503 Service Unavailable: restarting; retrying in 100ms\n/);
  });

  it('an unknown cluster is exit 3 with one line, no stack', async () => {
    const api = await startStubApi((_req, res) =>
      json(res, 404, problem(404, 'Not Found', 'cluster c9 not found')),
    );
    const cli = spawnCli(['cluster', 'status', 'c9', '--watch', '--api', api.url, '--token-file', tokenFile]);
    const result = await cli.child;
    await api.close();
    expect(result.exitCode).toBe(3);
    expect(cli.stderr()).toBe('edge-overlay: cluster c9: 404 Not Found: cluster c9 not found\n');
  });
});
