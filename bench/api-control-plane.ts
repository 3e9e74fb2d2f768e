// Child process of `npm run bench:api`: the control worker and the API against a Temporal dev server the
// parent started, so the load generator never shares an event loop with what it measures.
// Prints one line `{"apiUrl": …}` on stdout when ready; stops on SIGTERM/SIGINT or when stdin closes
// (the parent is gone).
import { connectTemporalClient } from '../src/clients/temporal/closed-channel-guard.js';
import { Client } from '@temporalio/client';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { startApiServer } from '../src/api/server.js';
import { installTemporalLogger } from '../src/log.js';
import { startControlWorker } from '../src/worker.js';
import { CHILD_ENV } from './api-stack.js';

async function main(): Promise<void> {
  const env = (k: keyof typeof CHILD_ENV) => process.env[CHILD_ENV[k]];
  const address = env('temporal');
  const token = env('token');
  if (!address || !token) throw new Error(`${CHILD_ENV.temporal} and ${CHILD_ENV.token} are required`);
  const log = pino({ name: 'bench-control-plane', level: env('logLevel') ?? 'warn' }, pino.destination(2));
  installTemporalLogger(log);
  const bundle = env('bundle');
  const worker = await startControlWorker({
    address,
    namespace: 'default',
    log,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
  });
  const connection = await connectTemporalClient({ address });
  const client = new Client({ connection, namespace: 'default' });
  const host = '127.0.0.1';
  const api = await startApiServer({ client, log, token, uiBaseUrl: null, namespace: 'default' }, host, 0);
  const port = (api.app.server.address() as { port: number }).port;

  let stopping: Promise<void> | null = null;
  const stop = (why: string) => {
    stopping ??= (async () => {
      log.info({ why }, 'stopping');
      await api.close().catch((err: unknown) => log.error({ err }, 'api close'));
      await worker.stop().catch((err: unknown) => log.error({ err }, 'worker stop'));
      await connection.close().catch(() => undefined);
      process.exit(0);
    })();
    return stopping;
  };
  // `on`: a repeated signal (Ctrl-C to the group and the parent's stop) must not find us without a handler.
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.stdin.on('end', () => void stop('parent gone'));
  process.stdin.resume();
  worker.done.then(
    () => void stop('worker stopped'),
    (err: unknown) => {
      log.error({ err }, 'control worker crashed');
      process.exit(1);
    },
  );
  if (process.env['EO_BENCH_LOOP_LAG']) watchLoopDelay();
  process.stdout.write(`${JSON.stringify({ apiUrl: `http://${host}:${port}` })}\n`);
}

/** Diagnosis: every second, the longest event-loop stall of this process (worker + API share the loop). */
function watchLoopDelay(): void {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  setInterval(() => {
    const maxMs = Math.round(h.max / 1e6);
    const p99Ms = Math.round(h.percentile(99) / 1e6);
    if (maxMs > 100)
      process.stderr.write(`${JSON.stringify({ at: Date.now(), loopDelayMaxMs: maxMs, p99Ms })}\n`);
    h.reset();
  }, 1000).unref();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench control plane failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
