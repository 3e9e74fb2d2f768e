// `edge-overlay hosts reset HOST` against a stand-in API answering as POST /v1/hosts/:hostId/reset does:
// what it prints (text and --json), the body it sends, and the documented exit codes for a cluster member
// (409 → 4) and an unknown host (404 → 3), one message each.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/errors.js';
import { runCli } from './helper.js';
import { json, problem, type StubApi, startStubApi } from './stub-api.js';

const dir = mkdtempSync(join(tmpdir(), 'eo-reset-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'reset-test-token-0123456789\n');
const AT = '2025-01-02T03:04:05.000Z';
let api: StubApi;
const bodies: string[] = [];
const flags = () => ['--api', api.url, '--token-file', tokenFile];

beforeAll(async () => {
  api = await startStubApi((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      bodies.push(body);
      const hostId = /^\/v1\/hosts\/([^/]+)\/reset$/.exec(req.url ?? '')?.[1];
      if (req.method !== 'POST' || !hostId) return json(res, 405, problem(405, 'Method Not Allowed', '-'));
      if (hostId === 'stranded')
        return json(res, 200, {
          hostId,
          at: AT,
          changed: true,
          removed: ['vxlan100', 'br-ovl'],
          cluster: 'c1',
        });
      if (hostId === 'clean') return json(res, 200, { hostId, at: AT, changed: false, removed: [] });
      if (hostId === 'member')
        return json(
          res,
          409,
          problem(409, 'Conflict', 'host member belongs to cluster c2: remove it from the cluster instead'),
        );
      json(res, 404, problem(404, 'Not Found', `host ${hostId} is not registered`));
    });
  });
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('edge-overlay hosts reset', () => {
  it('says what the agent removed and from which cluster, and sends --reason', async () => {
    const run = await runCli(['hosts', 'reset', 'stranded', '--reason', 'failed join', ...flags()]);
    expect(run.code, run.stderr).toBe(ExitCode.Ok);
    expect(run.stdout).toBe(
      'host stranded reset: removed vxlan100, br-ovl (its agent still had the overlay of cluster c1)\n',
    );
    expect(api.requests.at(-1)).toBe('POST /v1/hosts/stranded/reset');
    expect(JSON.parse(bodies.at(-1)!)).toEqual({ reason: 'failed join' });

    const clean = await runCli(['hosts', 'reset', 'clean', ...flags()]);
    expect(clean.code).toBe(ExitCode.Ok);
    expect(clean.stdout).toBe('host clean reset: nothing was left to remove\n');
    expect(JSON.parse(bodies.at(-1)!)).toEqual({});
  });

  it('--json prints the API answer as one document on stdout', async () => {
    const run = await runCli(['hosts', 'reset', 'stranded', '--json', ...flags()]);
    expect(run.code).toBe(ExitCode.Ok);
    expect(JSON.parse(run.stdout)).toEqual({
      hostId: 'stranded',
      at: AT,
      changed: true,
      removed: ['vxlan100', 'br-ovl'],
      cluster: 'c1',
    });
  });

  it('a cluster member (409) is exit 4 and an unknown host (404) exit 3, one line each', async () => {
    const member = await runCli(['hosts', 'reset', 'member', ...flags()]);
    expect(member.code).toBe(ExitCode.Conflict);
    expect(member.stdout).toBe('');
    expect(member.stderr).toBe(
      'edge-overlay: reset host member: 409 Conflict: host member belongs to cluster c2: ' +
        'remove it from the cluster instead\n',
    );
    const unknown = await runCli(['hosts', 'reset', 'ghost', ...flags()]);
    expect(unknown.code).toBe(ExitCode.NotFound);
    expect(unknown.stderr).toBe(
      'edge-overlay: reset host ghost: 404 Not Found: host ghost is not registered\n',
    );
  });
});
