// Runs `temporal server start-dev` as a child process: for `edge-overlay dev` and for the test harness.
import { Connection } from '@temporalio/client';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { devServerSearchAttributeFlags } from '../temporal/search-attributes.js';
import { temporalBinary } from './paths.js';
import { PortInUseError, stopChild, waitFor, withPickedPorts } from './process.js';

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
  return withPickedPorts(
    ip,
    (pick) => startOnce(opts, ip, pick),
    (port, attempt) =>
      opts.log?.warn({ port, attempt }, 'Temporal dev server: a free port was taken; retrying'),
  );
}

async function startOnce(
  opts: TemporalDevServerOptions,
  ip: string,
  pick: () => Promise<number>,
): Promise<TemporalDevServer> {
  const port = opts.port ?? (await pick());
  const uiPort = opts.headless ? undefined : (opts.uiPort ?? (await pick()));
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--http-port',
    String(await pick()),
    '--metrics-port',
    String(await pick()),
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
  // The first error the server logs says why it stopped ("bind: address already in use"); what follows
  // it is a Go panic's goroutine dump.
  let firstError: string | null = null;
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-4000);
    firstError ??= errorOf(text);
    opts.log?.debug({ component: 'temporal-server' }, text.trimEnd());
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const address = `${ip}:${port}`;
  try {
    await waitFor(
      `Temporal dev server on ${address}`,
      async () => {
        const conn = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await conn.workflowService.getSystemInfo({});
          return true;
        } finally {
          await conn.close();
        }
      },
      {
        timeoutMs: opts.startTimeoutMs ?? 30_000,
        intervalMs: 200,
        // An exited server will never answer: stop waiting now, not at the timeout.
        fatal: () => {
          const ended = child.exitCode ?? child.signalCode;
          return ended === null ? null : exitedEarly(ended, firstError, output);
        },
      },
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

/** The reason in the server's first ERROR line (its `error=` field, else its `msg=`), or an `Error:` line. */
function errorOf(text: string): string | null {
  const line = /^.*level=ERROR.*$/m.exec(text)?.[0];
  if (!line) return /^Error: (.+)$/m.exec(text)?.[1] ?? null;
  const field = (name: string) => new RegExp(`${name}="((?:[^"\\\\]|\\\\.)*)"`).exec(line)?.[1];
  return (field('error') ?? field('msg') ?? line).replaceAll('\\"', '"');
}

/** Why the dev server is gone, as one line; a taken port is a PortInUseError (the CLI's conflict). */
function exitedEarly(code: number | string, firstError: string | null, output: string): Error {
  const reason = firstError ?? output.trim().split('\n').at(-1) ?? 'no output';
  const message = `Temporal dev server exited with code ${code} before it was ready: ${reason}`;
  const taken = /listen tcp ([\d.]+):(\d+): bind: address already in use/.exec(reason);
  return taken
    ? new PortInUseError('Temporal', taken[1] ?? '', Number(taken[2]), message)
    : new Error(message);
}
