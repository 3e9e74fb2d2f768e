// `edge-overlay dev` end to end: a real Temporal dev server with its UI, the worker and the API,
// state in a SQLite file that survives a restart, and a clean stop on SIGTERM.
import { Client, Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../../src/dev/process.js';

const bin = new URL('../../bin/edge-overlay.js', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'eo-dev-'));

interface Running {
  child: ResultPromise;
  output: () => string;
  ports: { api: number; temporal: number; ui: number };
}

async function startDev(ports: Running['ports']): Promise<Running> {
  const child = execa(
    'node',
    [
      bin,
      'dev',
      '--data-dir',
      dataDir,
      '--api-port',
      String(ports.api),
      '--temporal-port',
      String(ports.temporal),
      '--ui-port',
      String(ports.ui),
    ],
    { reject: false, all: true, env: { EDGE_OVERLAY_LOG_FORMAT: 'json', EDGE_OVERLAY_TOKEN: '' } },
  );
  let out = '';
  child.all?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  await waitFor('dev to print its URLs', async () => out.includes('Press Ctrl-C'), { timeoutMs: 60_000 });
  return { child, output: () => out, ports };
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

async function stopDev(run: Running) {
  run.child.kill('SIGTERM');
  const result = await run.child;
  return result;
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('edge-overlay dev', () => {
  it('serves the API and the Web UI, keeps state across restarts, and stops cleanly', async () => {
    const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
    const first = await startDev(ports);
    try {
      expect(first.output()).toContain(`API:              http://127.0.0.1:${ports.api}`);
      expect(first.output()).toContain(`Temporal Web UI:  http://127.0.0.1:${ports.ui}`);
      expect(first.output()).toContain(join(dataDir, 'api-token'));
      expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${ports.api}/healthz`)).status).toBe(200);
      expect(existsSync(join(dataDir, 'temporal.db'))).toBe(true);
      // The SDK's runtime logs reach pino as JSON lines.
      expect(first.output()).toMatch(/\{"level":\d+,.*"component":"temporal".*"msg":"Worker state changed"/);

      const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
      const client = new Client({ connection });
      await client.workflow.start('anyWorkflow', {
        taskQueue: 'nobody-polls',
        workflowId: 'survives-restart',
      });
      await connection.close();
    } finally {
      const result = await stopDev(first);
      expect(result.exitCode).toBe(0);
    }
    expect(first.output()).toContain('edge-overlay control plane stopped');
    expect(await portOpen(ports.temporal)).toBe(false);
    expect(await portOpen(ports.api)).toBe(false);

    const second = await startDev(ports);
    try {
      const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
      const client = new Client({ connection });
      const desc = await client.workflow.getHandle('survives-restart').describe();
      expect(desc.status.name).toBe('RUNNING');
      await connection.close();
    } finally {
      expect((await stopDev(second)).exitCode).toBe(0);
    }
  }, 150_000);

  it('rejects an invalid port with a clear message', async () => {
    const result = await execa('node', [bin, 'dev', '--api-port', 'eighty'], { reject: false });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/--api-port/);
  });
});
