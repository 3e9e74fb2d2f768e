// npm run bench:api -- [--quick] [--clusters 1000] [--hosts-per-cluster 3] [--big 1000] [--concurrency 16]
//   [--duration 45] [--admit-wait 300] [--ready-wait 600] [--big-clients 4] [--timeout 60]
//   [--store file|memory] [--no-agents] [--topology split|combined]
// API latency at scale (issue 11, point 5): host registration, cluster creation and cluster reads over real
// HTTP on 127.0.0.1, and one big cluster read again and again while its hosts are joining. Starts its own
// Temporal dev server, broker (product CA, config and ACL), a control worker child and an API child (as
// production runs them; --topology combined: one child with both, as `edge-overlay dev`) and a child of
// fake agents (one real MQTT session per host, enrolled over the API, commands answered in memory) on free
// loopback ports, and stops them by PID at the end, on failure and on Ctrl-C. stdout carries one JSON
// object; progress goes to stderr.
// Log levels: EO_BENCH_LOG_LEVEL (this process, default info), EO_BENCH_CHILD_LOG_LEVEL (worker + API, error).
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import { parseBenchArgs } from './api-config.js';
import { runApiBench } from './api-run.js';
import { type BenchStack, startBenchStack } from './api-stack.js';

const log = pino(
  { name: 'bench-api', level: process.env['EO_BENCH_LOG_LEVEL'] ?? 'info' },
  pino.destination(2),
);
Runtime.install({
  logger: new DefaultLogger('WARN', (e) => log.warn({ sdk: e.meta }, e.message)),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});

let config: ReturnType<typeof parseBenchArgs>;
try {
  config = parseBenchArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}

let stack: BenchStack | null = null;
let stopping = false;
/** What was measured so far: printed when the run is stopped half way (hours on a shared machine). */
const partial: Record<string, unknown> = { benchmark: 'api', partial: true, config };
// `on`, not `once`, and for every repeat: Ctrl-C reaches us twice (the terminal's process group and tsx's
// relay), and a process left with no listener of its own is exited at once by execa's signal-exit and
// tsx's preflight — before the stack is stopped and its temp dir removed.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.warn({ signal }, 'stopping the benchmark stack');
    process.stdout.write(`${JSON.stringify(partial, null, 2)}\n`);
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

let exitCode = 0;
try {
  log.info({ config }, 'starting Temporal dev server, control worker and API');
  stack = await startBenchStack({
    store: config.store,
    log,
    agents: config.agents,
    topology: config.topology,
    // Each command retried after a timeout is a Temporal warning: only errors by default.
    childLogLevel: process.env['EO_BENCH_CHILD_LOG_LEVEL'] ?? 'error',
  });
  const target = { baseUrl: stack.apiUrl, token: stack.token, timeoutMs: config.timeout * 1000 };
  const run = {
    temporalAddress: stack.temporalAddress,
    agents: stack.agents,
    onPart: (part: string, result: unknown) => {
      partial[part] = result;
    },
  };
  const result = await runApiBench(target, config, log, run);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} catch (err) {
  log.error({ err }, 'benchmark failed');
  exitCode = 1;
} finally {
  await stack?.stop();
}
process.exit(exitCode);
