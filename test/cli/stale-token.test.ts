// A 401 with the token nobody chose: with no --token-file, EDGE_OVERLAY_TOKEN_FILE or EDGE_OVERLAY_TOKEN the
// CLI falls back to `dev`'s .data/api-token, which a lab's API refuses. The error names that file (never the
// token) and points at `lab env`; a token the user gave keeps the plain hint.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/errors.js';
import { json, problem, type StubApi, startStubApi } from './stub-api.js';

const bin = new URL('../../bin/edge-overlay.js', import.meta.url).pathname;
const STALE = 'stale-dev-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'eo-stale-'));
let api: StubApi;
const seen: string[] = [];

/** The CLI in `dir` (where .data/api-token is) with no token variable from the test's environment. */
const run = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [bin, ...args, '--api', api.url], {
    cwd: dir,
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '', ...env },
  });

beforeAll(async () => {
  mkdirSync(join(dir, '.data'));
  writeFileSync(join(dir, '.data', 'api-token'), `${STALE}\n`);
  writeFileSync(join(dir, 'mine'), 'my-own-token-0123456789\n');
  api = await startStubApi((req, res) => {
    seen.push(req.headers.authorization ?? '');
    json(res, 401, problem(401, 'Unauthorized', 'missing or invalid bearer token'));
  });
});
afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a 401 with the fallback token', () => {
  it('names .data/api-token as the source and hints `lab env`, exit 1, without the token', async () => {
    const res = await run(['cluster', 'list']);
    expect(seen.at(-1)).toBe(`Bearer ${STALE}`);
    expect(res.exitCode).toBe(ExitCode.Other);
    expect(res.stdout).toBe('');
    expect(res.stderr.trimEnd().split('\n')).toEqual([
      'edge-overlay: list clusters: 401 Unauthorized: missing or invalid bearer token',
      `  token from ${join(dir, '.data', 'api-token')}, the fallback: no --token-file, ` +
        'EDGE_OVERLAY_TOKEN_FILE or EDGE_OVERLAY_TOKEN given',
      '  a lab has its own token: eval "$(edge-overlay lab env)"; otherwise pass --token-file FILE',
    ]);
    expect(res.stderr).not.toContain(STALE);
  });

  it('a token given by flag or environment keeps the plain hint (no fallback was used)', async () => {
    for (const [args, env] of [
      [['--token-file', 'mine'], {}],
      [[], { EDGE_OVERLAY_TOKEN_FILE: 'mine' }],
      [[], { EDGE_OVERLAY_TOKEN: 'env-token-0123456789' }],
    ] as const) {
      const res = await run(['hosts', ...args], env);
      expect(res.exitCode).toBe(ExitCode.Other);
      expect(res.stderr).toContain('(set EDGE_OVERLAY_TOKEN or pass --token-file FILE)');
      expect(res.stderr).not.toContain('api-token');
      expect(res.stderr).not.toContain('lab env');
    }
  });
});
