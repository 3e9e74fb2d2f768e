// `edge-overlay dev` end to end: a real Temporal dev server with its UI, the broker, the worker and the
// API; the CA and the control certificate made on first start (owner-only files) and reused after; state
// in a SQLite file that survives a restart, and a clean stop on SIGTERM.
import { Client, Connection } from '@temporalio/client';
import { X509Certificate } from 'node:crypto';
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { type AddressInfo, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../../src/dev/process.js';

const bin = new URL('../../bin/edge-overlay.js', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'eo-dev-'));

interface Running {
  child: ResultPromise;
  output: () => string;
  ports: { api: number; temporal: number; ui: number; broker: number };
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
      '--broker-port',
      String(ports.broker),
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

const mode = (path: string) => statSync(path).mode & 0o777;
const pki = (file: string) => join(dataDir, 'pki', file);
const serialOf = (certPath: string) => new X509Certificate(readFileSync(certPath)).serialNumber;
const freePorts = async () => ({
  api: await freePort(),
  temporal: await freePort(),
  ui: await freePort(),
  broker: await freePort(),
});

describe('edge-overlay dev', () => {
  it('serves the API and the Web UI, keeps state across restarts, and stops cleanly', async () => {
    const ports = await freePorts();
    const first = await startDev(ports);
    let caPem = '';
    let controlSerial = '';
    try {
      expect(first.output()).toContain(`API:              http://127.0.0.1:${ports.api}`);
      expect(first.output()).toContain(`Temporal Web UI:  http://127.0.0.1:${ports.ui}`);
      expect(first.output()).toContain(`Broker:           mqtts://127.0.0.1:${ports.broker}`);
      expect(first.output()).toContain(join(dataDir, 'api-token'));
      expect(first.output()).toMatch(
        /edge-overlay hosts join-token HOST .*edge-overlay agent --host-id HOST/,
      );
      expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
      const health = await fetch(`http://127.0.0.1:${ports.api}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', temporal: 'ok', broker: 'ok' });
      expect(await portOpen(ports.broker)).toBe(true);
      expect(existsSync(join(dataDir, 'temporal.db'))).toBe(true);
      // the CA and the control identity, made on first start; keys and their folders owner-only
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, 'pki'))).toBe(0o700);
      for (const f of ['ca.key', 'control.key', 'control.crt']) expect(mode(pki(f))).toBe(0o600);
      expect(mode(join(dataDir, 'broker', 'server.key'))).toBe(0o600);
      caPem = readFileSync(pki('ca.crt'), 'utf8');
      controlSerial = serialOf(pki('control.crt'));
      expect(new X509Certificate(readFileSync(pki('control.crt'))).subject).toContain(
        'CN=control.edge-overlay',
      );
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
    expect(await portOpen(ports.broker)).toBe(false);

    const second = await startDev(ports);
    try {
      // same CA and control certificate: what enrolled agents hold keeps working across a restart
      expect(readFileSync(pki('ca.crt'), 'utf8')).toBe(caPem);
      expect(serialOf(pki('control.crt'))).toBe(controlSerial);
      expect(await (await fetch(`http://127.0.0.1:${ports.api}/healthz`)).json()).toMatchObject({
        broker: 'ok',
      });
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

  it('refuses a broker port another process listens on, before starting anything', async () => {
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const taken = (other.address() as AddressInfo).port;
    const ports = await freePorts();
    const dir = mkdtempSync(join(tmpdir(), 'eo-dev-taken-'));
    try {
      const args = ['--api-port', ports.api, '--temporal-port', ports.temporal, '--ui-port', ports.ui];
      const result = await execa(
        'node',
        [bin, 'dev', '--data-dir', dir, ...args.map(String), '--broker-port', String(taken)],
        { reject: false, env: { EDGE_OVERLAY_LOG_LEVEL: 'error', EDGE_OVERLAY_TOKEN: '' } },
      );
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain(`broker port ${taken} on 127.0.0.1 is already in use`);
      expect(await portOpen(ports.temporal)).toBe(false);
    } finally {
      other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an invalid broker port with a clear message', async () => {
    for (const bad of ['mqtt', '0', '70000']) {
      const result = await execa('node', [bin, 'dev', '--broker-port', bad], { reject: false });
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(/--broker-port/);
    }
  });
});
