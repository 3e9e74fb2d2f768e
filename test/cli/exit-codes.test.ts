// Every user error is one line (plus a hint) and a documented exit code (README "Exit codes"), never a
// stack trace or the whole help; durations read as 90s/5m with defaults shown that way; secrets never echo.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durationParser } from '../../src/cli/duration.js';
import { ExitCode, reportError } from '../../src/cli/errors.js';
import { freePort } from '../../src/dev/process.js';
import { runCli } from './helper.js';
import { json, problem, type StubApi, startStubApi } from './stub-api.js';

const dir = mkdtempSync(join(tmpdir(), 'eo-exit-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'exit-code-token-0123456789\n');
let api: StubApi;
const flags = () => ['--api', api.url, '--token-file', tokenFile];
const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

beforeAll(async () => {
  // The API's answers by path: each status the CLI maps to its own code.
  api = await startStubApi((req, res) => {
    const status = Number(/\/v1\/clusters\/s(\d{3})/.exec(req.url ?? '')?.[1] ?? 404);
    const body = problem(status, `Status ${status}`, `answer ${status}`);
    json(res, status, status === 400 ? { ...body, errors: [{ field: 'vni', message: 'too big' }] } : body);
  });
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('exit codes', () => {
  it('a bad argument or flag is exit 2: the one error and a --help hint, not the whole help', async () => {
    for (const args of [
      ['cluster', 'status', 'Bad_Name'],
      ['cluster', 'delete', 'c1', '--timeout', 'soon'],
      ['cluster', 'create', 'c1', 'h1', '--no-such-flag'],
      ['cluster'],
    ]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(ExitCode.Usage);
      noStack(run.stderr);
      if (args.length > 1) {
        expect(run.stderr.trimEnd().split('\n')).toEqual([
          expect.stringMatching(/^error: /),
          `(see 'edge-overlay cluster ${args[1]} --help')`,
        ]);
      }
    }
  });

  it('API answers map to 2 (400), 3 (404), 4 (409) and 1 (5xx, unreachable), one message each', async () => {
    const cases: Array<[string, number]> = [
      ['s400', ExitCode.Usage],
      ['s404', ExitCode.NotFound],
      ['s409', ExitCode.Conflict],
      ['s500', ExitCode.Other],
    ];
    for (const [name, code] of cases) {
      const run = await runCli(['cluster', 'status', name, ...flags()]);
      expect(run.code, name).toBe(code);
      expect(run.stderr).toMatch(new RegExp(`^edge-overlay: cluster ${name}: \\d{3} Status \\d{3}: answer`));
      noStack(run.stderr);
    }
    expect((await runCli(['cluster', 'status', 's400', ...flags()])).stderr).toContain('  vni: too big');
    const closed = await runCli([
      'cluster',
      'list',
      '--api',
      `http://127.0.0.1:${await freePort()}`,
      '--token-file',
      tokenFile,
    ]);
    expect(closed.code).toBe(ExitCode.Other);
    expect(closed.stderr).toMatch(/^edge-overlay: list clusters: cannot reach the API at .*ECONNREFUSED/);
  });

  it('a too-short EDGE_OVERLAY_TOKEN is exit 2 and the message does not contain the token', async () => {
    const before = process.env.EDGE_OVERLAY_TOKEN;
    process.env.EDGE_OVERLAY_TOKEN = 'sekrit-value';
    try {
      const run = await runCli(['cluster', 'list', '--api', api.url]);
      expect(run.code).toBe(ExitCode.Usage);
      expect(run.stderr).toContain('EDGE_OVERLAY_TOKEN: must be at least 16 characters');
      expect(run.stderr).not.toContain('sekrit');
    } finally {
      if (before === undefined) delete process.env.EDGE_OVERLAY_TOKEN;
      else process.env.EDGE_OVERLAY_TOKEN = before;
    }
  });

  it('an unexpected error is exit 1 with its message; the stack only at debug level', () => {
    let out = '';
    const code = reportError(
      new TypeError('x is not a function'),
      (l) => {
        out += l;
      },
      {},
    );
    expect(code).toBe(ExitCode.Other);
    expect(out).toMatch(
      /^edge-overlay: x is not a function\n {2}\(unexpected error; EDGE_OVERLAY_LOG_LEVEL=debug/,
    );
    noStack(out);
    out = '';
    reportError(
      new TypeError('boom'),
      (l) => {
        out += l;
      },
      { EDGE_OVERLAY_LOG_LEVEL: 'debug' },
    );
    expect(out).toMatch(/^\s+at /m);
  });
});

describe('durations', () => {
  it('reads 500ms, 90s, 5m, 1h and bare seconds; refuses the rest', () => {
    expect(durationParser('500ms')).toBe(500);
    expect(durationParser('90s')).toBe(90_000);
    expect(durationParser('5m')).toBe(300_000);
    expect(durationParser('1h')).toBe(3_600_000);
    expect(durationParser('90')).toBe(90_000);
    for (const bad of ['soon', '5 m', '-1s', '0s', '1d']) expect(() => durationParser(bad), bad).toThrow();
  });

  it('--timeout defaults are shown in the unit of the examples, not in milliseconds', async () => {
    for (const cmd of ['create', 'add-host', 'remove-host', 'delete']) {
      const help = await runCli(['cluster', cmd, '--help']);
      expect(help.code).toBe(ExitCode.Ok);
      expect(help.stdout).toMatch(
        /--timeout <duration>\s+how long --wait waits \(e\.g\. 90s, 5m\)\s+\(default: 5m\)/,
      );
      expect(help.stdout).not.toContain('300000');
    }
  });
});
