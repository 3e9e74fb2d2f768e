// Logs an operator can read: the workflow bundler's webpack report at debug (warnings kept), errors logged
// with their message and stack (not `"error":{}`), and an agent that writes JSON lines only.
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/process.js';
import { bundlerLogger } from '../../src/log.js';
import { createLogger } from '../../src/logger.js';
import { workflowBundleOptions } from '../../src/workflow-bundle.js';
import { spawnCli } from './stub-api.js';

/** A logger whose JSON lines land in an array. */
function capture(level = 'trace') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: createLogger({ level, format: 'json', destination }), lines };
}

describe('log noise', () => {
  it("the bundler's webpack report goes to debug; a webpack WARNING and errors stay visible", async () => {
    const { log, lines } = capture();
    await bundleWorkflowCode({ ...workflowBundleOptions(), logger: bundlerLogger(log) });
    const report = lines.find((l) => /webpack .*compiled/.test(String(l.msg)));
    expect(report?.level).toBe(20);
    expect(lines.every((l) => (l.level as number) <= 20)).toBe(true);
    const sdk = bundlerLogger(log);
    sdk.info('WARNING in ./src/x.ts\nModule not found');
    sdk.error('Webpack finished with errors');
    expect(lines.slice(-2).map((l) => l.level)).toEqual([40, 50]);
  }, 120_000);

  it('an error under `error` (how the Temporal SDK logs a failed workflow) keeps its message and stack', () => {
    const { log, lines } = capture();
    log.warn({ error: new Error('peer table push failed') }, 'Workflow failed');
    // An error made in the workflow sandbox is from another realm: still serialized.
    log.warn({ error: runInNewContext('new TypeError("from the sandbox")') }, 'Workflow failed');
    log.error({ err: new Error('plain') }, 'request failed');
    expect(lines[0]?.error).toMatchObject({ type: 'Error', message: 'peer table push failed' });
    expect(String((lines[0]?.error as { stack?: string } | undefined)?.stack)).toContain('log-noise.test.ts');
    expect(lines[1]?.error).toMatchObject({ message: 'from the sandbox' });
    expect(lines[2]?.err).toMatchObject({ message: 'plain' });
  });

  it('the agent writes JSON lines only (no ANSI), also while its enrollment keeps failing', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'eo-agent-log-'));
    const agent = spawnCli(
      [
        'agent',
        '--host-id',
        'log-check',
        '--underlay-iface',
        'lo',
        '--api',
        `http://127.0.0.1:${await freePort()}`,
        '--join-token',
        'abcdefghijklmnopqrstuvwx',
        '--state-dir',
        stateDir,
      ],
      { EDGE_OVERLAY_LOG_FORMAT: 'auto', FORCE_COLOR: '1' },
    );
    try {
      await agent.until(
        'two enrollment retries',
        (out) => (out.match(/enrollment failed/g) ?? []).length >= 2,
      );
      agent.child.kill('SIGTERM');
      await agent.child;
    } finally {
      agent.child.kill('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    }
    const out = `${agent.stdout()}${agent.stderr()}`;
    expect(out).not.toContain('\x1b[');
    for (const line of out.trimEnd().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();
    expect(out).not.toContain('abcdefghijklmnopqrstuvwx');
  });
});
