// Runs `temporal server start-dev` as a child process: for `edge-overlay dev` and for the test harness.
import { Connection } from '@temporalio/client';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { devServerSearchAttributeFlags } from '../temporal/search-attributes.js';
import { temporalBinary } from './paths.js';
import { freePort, stopChild, waitFor } from './process.js';

export interface TemporalDevServerOptions {
  port?: number;
  uiPort?: number;
  /** SQLite file; omitted means in-memory (tests). */
  dbFile?: string;
  ip?: string;
  headless?: boolean;
  binary?: string;
  log?: Logger;
  startTimeoutMs?: number;
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string | null;
  pid: number;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(
  opts: TemporalDevServerOptions = {},
): Promise<TemporalDevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(ip));
  const uiPort = opts.headless ? undefined : (opts.uiPort ?? (await freePort(ip)));
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--http-port',
    String(await freePort(ip)),
    '--metrics-port',
    String(await freePort(ip)),
    '--log-level',
    'warn',
    ...devServerSearchAttributeFlags,
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']),
  ];
  const child = execa(opts.binary ?? temporalBinary(), args, {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
    cleanup: true,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    opts.log?.debug({ component: 'temporal-server' }, chunk.toString().trimEnd());
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const address = `${ip}:${port}`;
  try {
    await waitFor(
      `Temporal dev server on ${address}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`temporal exited with ${child.exitCode}: ${output}`);
        const conn = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await conn.workflowService.getSystemInfo({});
          return true;
        } finally {
          await conn.close();
        }
      },
      { timeoutMs: opts.startTimeoutMs ?? 30_000, intervalMs: 200 },
    );
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    address,
    uiUrl: uiPort ? `http://${ip}:${uiPort}` : null,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}
