// Child processes we start and stop by PID only (never pkill/killall).
import { execa, type ResultPromise } from 'execa';
import { createServer } from 'node:net';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A port we were told to use is taken (or not ours to take). exitCode/hint are what the CLI reports
 * (src/cli/errors.ts: 4 = conflict): a user's situation, not a crash. */
export class PortInUseError extends Error {
  readonly exitCode = 4;
  constructor(
    readonly what: string,
    readonly host: string,
    readonly port: number,
    message: string,
    readonly hint = 'is another edge-overlay dev or lab running? Stop it, or choose other ports',
  ) {
    super(message);
    this.name = 'PortInUseError';
  }
}

/** Runs `start` with ports it picks through `pick` (free ones, remembered); when a port it picked was taken
 * between the pick and the bind (ephemeral range: any outgoing connection on the machine may get it as its
 * source port), runs it again, three times at most. A taken port the caller fixed fails at once. `start`
 * must stop what it made when it fails. */
export async function withPickedPorts<T>(
  host: string,
  start: (pick: () => Promise<number>) => Promise<T>,
  onRetry: (port: number, attempt: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const picked = new Set<number>();
    const pick = async () => {
      const port = await freePort(host);
      picked.add(port);
      return port;
    };
    try {
      return await start(pick);
    } catch (err) {
      if (!(err instanceof PortInUseError && picked.has(err.port)) || attempt >= 3) throw err;
      onRetry(err.port, attempt);
    }
  }
}

/** Fails with a clear message when something already listens on host:port. A child we start would
 * fail to bind, and a readiness probe on the port would meet the other listener and pass. */
export async function assertPortFree(what: string, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new PortInUseError(
          what,
          host,
          port,
          err.code === 'EADDRINUSE'
            ? `${what} port ${port} on ${host} is already in use (another process listens there)`
            : `${what} cannot listen on ${host}:${port}: ${err.message}`,
        ),
      ),
    );
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}

/** SIGTERM the child, then SIGKILL after `graceMs`; resolves once it has exited. Waits for the process
 * itself, not for its pipes: a pipe whose write end leaked into another process stays open after the
 * child is gone (execa's promise waits for it), so the pipes get a second to drain and are then closed. */
export async function stopChild(child: ResultPromise, graceMs = 5000): Promise<void> {
  const settled = child.catch(() => undefined);
  if (child.pid === undefined) {
    await settled;
    return;
  }
  const gone = child.exitCode !== null || child.signalCode !== null;
  const exited = gone
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (!gone) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  let drain: NodeJS.Timeout | undefined;
  await Promise.race([settled, new Promise((resolve) => (drain = setTimeout(resolve, PIPE_DRAIN_MS)))]);
  clearTimeout(drain);
  child.stdout?.destroy();
  child.stderr?.destroy();
}

const PIPE_DRAIN_MS = 1000;

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  {
    timeoutMs = 30_000,
    intervalMs = 100,
    fatal,
  }: {
    timeoutMs?: number;
    intervalMs?: number;
    /** Checked before each try: an error means what we wait for can no longer happen (stop now). */
    fatal?: () => Error | null;
  } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const gaveUp = fatal?.();
    if (gaveUp) throw gaveUp;
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
}

export { execa };
