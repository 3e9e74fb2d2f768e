// Child process of `npm run bench:api`: the control worker and/or the API against a Temporal dev server and a
// broker the parent started, so the load generator never shares an event loop with what it measures.
// EO_BENCH_ROLE says which (bench/api-stack.ts, --topology):
// - `worker` and `api`, one child each: production's shape (docker-compose: the `worker` and `api`
//   containers; the API probes the broker with a TLS handshake, as `edge-overlay api` does);
// - `all`, one child with both: `edge-overlay dev`'s shape (one process; the API asks the worker's relay).
// Either way wired as the product wires them: the worker relays host commands over the broker under the
// control identity, the API enrolls hosts with the bench's CA.
// Prints one line `{"ready": true, "apiUrl"?: …}` on stdout when ready; stops on SIGTERM/SIGINT or when
// stdin closes (the parent is gone).
import { Client } from '@temporalio/client';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type Logger, pino } from 'pino';
import { startApiServer } from '../src/api/server.js';
import { connectTemporalClient } from '../src/clients/temporal/closed-channel-guard.js';
import { loadOrIssueControlCert } from '../src/dev/control-identity.js';
import { installTemporalLogger } from '../src/log.js';
import { ProductCa } from '../src/pki/ca.js';
import { brokerProbe } from '../src/serve/broker-probe.js';
import { startControlWorker } from '../src/worker.js';
import { CHILD_ENV, type ChildRole, childRoleSchema } from './api-stack.js';

interface ChildContext {
  address: string;
  token: string;
  pkiDir: string;
  brokerUrl: string;
  log: Logger;
  ca: ProductCa;
}
type Stop = () => Promise<void>;

async function startWorker(c: ChildContext) {
  const bundle = process.env[CHILD_ENV.bundle];
  const control = await loadOrIssueControlCert(c.pkiDir, c.ca);
  const worker = await startControlWorker({
    address: c.address,
    namespace: 'default',
    log: c.log,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
    broker: { url: c.brokerUrl, caPem: c.ca.certPem, certPem: control.certPem, keyPem: control.keyPem },
    ca: c.ca,
  });
  if (!worker.relay?.stats().connected) throw new Error(`the control worker could not reach ${c.brokerUrl}`);
  return worker;
}

async function startApi(c: ChildContext, brokerHealthy: () => Promise<boolean>) {
  const connection = await connectTemporalClient({ address: c.address });
  const client = new Client({ connection, namespace: 'default' });
  const pki = {
    ca: c.ca,
    brokerUrl: c.brokerUrl,
    // No host is deleted or enrolled twice in the bench: nothing is ever revoked.
    revoke: async (serial: string) => c.log.warn({ serial }, 'bench: revocation is not wired'),
  };
  const deps = {
    client,
    log: c.log,
    token: c.token,
    uiBaseUrl: null,
    namespace: 'default',
    pki,
    brokerHealthy,
  };
  const api = await startApiServer(deps, '127.0.0.1', 0);
  const port = (api.app.server.address() as { port: number }).port;
  const close: Stop = async () => {
    await api.close().catch((err: unknown) => c.log.error({ err }, 'api close'));
    await connection.close().catch(() => undefined);
  };
  return { apiUrl: `http://127.0.0.1:${port}`, close };
}

async function start(role: ChildRole, c: ChildContext) {
  const stops: Stop[] = [];
  let apiUrl: string | undefined;
  let workerDone: Promise<void> | undefined;
  if (role !== 'api') {
    const worker = await startWorker(c);
    stops.push(() => worker.stop().catch((err: unknown) => c.log.error({ err }, 'worker stop')));
    workerDone = worker.done;
    if (role === 'all') {
      const api = await startApi(c, async () => worker.relay?.stats().connected ?? false);
      stops.unshift(api.close); // the API first, as `edge-overlay dev` stops
      apiUrl = api.apiUrl;
    }
  } else {
    const api = await startApi(c, brokerProbe({ url: c.brokerUrl, ca: c.ca }));
    stops.push(api.close);
    apiUrl = api.apiUrl;
  }
  return { apiUrl, workerDone, stops };
}

async function main(): Promise<void> {
  const env = (k: keyof typeof CHILD_ENV) => process.env[CHILD_ENV[k]];
  const [address, token, pkiDir, brokerUrl] = [
    env('temporal'),
    env('token'),
    env('pkiDir'),
    env('brokerUrl'),
  ];
  if (!address || !token || !pkiDir || !brokerUrl) {
    const names = [CHILD_ENV.temporal, CHILD_ENV.token, CHILD_ENV.pkiDir, CHILD_ENV.brokerUrl];
    throw new Error(`${names.join(', ')} are required`);
  }
  const role = childRoleSchema.parse(env('role') ?? 'all');
  const log = pino(
    { name: `bench-control-plane-${role}`, level: env('logLevel') ?? 'warn' },
    pino.destination(2),
  );
  installTemporalLogger(log);
  const ca = await ProductCa.loadOrCreate(pkiDir);
  const { apiUrl, workerDone, stops } = await start(role, { address, token, pkiDir, brokerUrl, log, ca });

  let stopping: Promise<void> | null = null;
  const stop = (why: string) => {
    stopping ??= (async () => {
      log.info({ why }, 'stopping');
      for (const s of stops) await s();
      process.exit(0);
    })();
    return stopping;
  };
  // `on`: a repeated signal (Ctrl-C to the group and the parent's stop) must not find us without a handler.
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.stdin.on('end', () => void stop('parent gone'));
  process.stdin.resume();
  workerDone?.then(
    () => void stop('worker stopped'),
    (err: unknown) => {
      log.error({ err }, 'control worker crashed');
      process.exit(1);
    },
  );
  if (process.env['EO_BENCH_LOOP_LAG']) watchLoopDelay(role);
  process.stdout.write(`${JSON.stringify({ ready: true, ...(apiUrl ? { apiUrl } : {}) })}\n`);
}

/** Diagnosis: every second, the longest event-loop stall of this process, when over 100 ms. */
function watchLoopDelay(role: ChildRole): void {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  setInterval(() => {
    const maxMs = Math.round(h.max / 1e6);
    const p99Ms = Math.round(h.percentile(99) / 1e6);
    if (maxMs > 100)
      process.stderr.write(`${JSON.stringify({ role, at: Date.now(), loopDelayMaxMs: maxMs, p99Ms })}\n`);
    h.reset();
  }, 1000).unref();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench control plane failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
