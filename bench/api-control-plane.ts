// Child process of `npm run bench:api`: the control worker and the API against a Temporal dev server and a
// broker the parent started, wired as `edge-overlay dev` wires them (the worker relays host commands over
// the broker under the control identity; the API enrolls hosts with the bench's CA), so the load generator
// never shares an event loop with what it measures.
// Prints one line `{"apiUrl": …}` on stdout when ready; stops on SIGTERM/SIGINT or when stdin closes
// (the parent is gone).
import { connectTemporalClient } from '../src/clients/temporal/closed-channel-guard.js';
import { Client } from '@temporalio/client';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { startApiServer } from '../src/api/server.js';
import { loadOrIssueControlCert } from '../src/dev/control-identity.js';
import { ProductCa } from '../src/pki/ca.js';
import { installTemporalLogger } from '../src/log.js';
import { startControlWorker } from '../src/worker.js';
import { CHILD_ENV } from './api-stack.js';

async function main(): Promise<void> {
  const env = (k: keyof typeof CHILD_ENV) => process.env[CHILD_ENV[k]];
  const address = env('temporal');
  const token = env('token');
  const pkiDir = env('pkiDir');
  const brokerUrl = env('brokerUrl');
  if (!address || !token || !pkiDir || !brokerUrl) {
    const names = [CHILD_ENV.temporal, CHILD_ENV.token, CHILD_ENV.pkiDir, CHILD_ENV.brokerUrl];
    throw new Error(`${names.join(', ')} are required`);
  }
  const log = pino({ name: 'bench-control-plane', level: env('logLevel') ?? 'warn' }, pino.destination(2));
  installTemporalLogger(log);
  const bundle = env('bundle');
  const ca = await ProductCa.loadOrCreate(pkiDir);
  const control = await loadOrIssueControlCert(pkiDir, ca);
  const worker = await startControlWorker({
    address,
    namespace: 'default',
    log,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
    broker: { url: brokerUrl, caPem: ca.certPem, certPem: control.certPem, keyPem: control.keyPem },
    ca,
  });
  if (!worker.relay?.stats().connected) throw new Error(`the control worker could not reach ${brokerUrl}`);
  const connection = await connectTemporalClient({ address });
  const client = new Client({ connection, namespace: 'default' });
  const host = '127.0.0.1';
  const pki = {
    ca,
    brokerUrl,
    // No host is deleted or enrolled twice in the bench: nothing is ever revoked.
    revoke: async (serial: string) => log.warn({ serial }, 'bench: revocation is not wired'),
  };
  const brokerHealthy = async () => worker.relay?.stats().connected ?? false;
  const api = await startApiServer(
    { client, log, token, uiBaseUrl: null, namespace: 'default', pki, brokerHealthy },
    host,
    0,
  );
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
