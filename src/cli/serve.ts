// `edge-overlay worker` and `edge-overlay api`: the production processes (one per container), both on the
// v2 host channel. Flags win over the environment; every value is checked before anything starts and a bad
// one is a ConfigError (one line per problem, exit 2). The wiring is in src/serve/.
import type { Command } from 'commander';
import { type Env, loadEnv } from '../config/env.js';
import { type ApiFlags, resolveApiConfig, resolveWorkerConfig, type WorkerFlags } from '../config/serve.js';
import { resolveToken } from '../config/token.js';
import { assertPortFree, PortInUseError } from '../dev/process.js';
import { DEFAULT_API_PORT } from '../domain/constants.js';
import { createLogger, installTemporalLogger, type Logger } from '../log.js';
import { createApiMetrics } from '../metrics/api-metrics.js';
import { createControlMetrics } from '../metrics/control-metrics.js';
import {
  bindAddress,
  METRICS_HOST_HELP,
  METRICS_PORT_HELP,
  type MetricsConfig,
  type MetricsFlags,
  metricsHostSchema,
  metricsPortSchema,
  resolveMetricsConfig,
  TEMPORAL_METRICS_PORT_HELP,
} from '../metrics/config.js';
import { serveMetricsFlag } from '../metrics/server.js';
import { zodParser } from '../config/flag-parsers.js';
import { runApi } from '../serve/run-api.js';
import { runWorker } from '../serve/run-worker.js';
import { CliError } from './errors.js';

/** Resolves on the first SIGINT/SIGTERM. */
export const untilSignal = (log: Logger): Promise<string> =>
  new Promise((resolve) => {
    const on = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve(signal);
    };
    process.once('SIGINT', () => on('SIGINT'));
    process.once('SIGTERM', () => on('SIGTERM'));
  });

/** A port these commands were told to use and another process holds: exit 4 in one line naming the flag
 * (README "Exit codes"), before anything starts. The API binds only once Temporal answered, and the SDK's
 * core binds its metrics port on its own: either would report it late, as a generic error. */
async function requirePortFree(flag: string, what: string, host: string, port: number): Promise<void> {
  try {
    await assertPortFree(what, host, port);
  } catch (err) {
    if (err instanceof PortInUseError) throw new CliError(`${flag}: ${err.message}`, err.exitCode);
    throw err;
  }
}

const requireMetricsPortFree = (m: MetricsConfig) =>
  m.port === undefined ? undefined : requirePortFree('--metrics-port', 'metrics', m.host, m.port);

const JSON_HELP = 'log JSON lines even on a terminal (the default elsewhere)';
const logFormat = (flags: { json?: boolean }, env: Env) =>
  flags.json ? 'json' : env.EDGE_OVERLAY_LOG_FORMAT;

const TEMPORAL_HELP = 'Temporal frontend (env EDGE_OVERLAY_TEMPORAL; TLS by EDGE_OVERLAY_TEMPORAL_TLS_* env)';
const PKI_HELP = 'product CA and control certificate, made on first start (env EDGE_OVERLAY_PKI_DIR)';

export function registerServeCommands(program: Command): void {
  program
    .command('worker')
    .description('run the control worker (workflows, control activities, host relay over the broker)')
    .option('--temporal <host:port>', TEMPORAL_HELP)
    .option('--pki-dir <dir>', PKI_HELP)
    .option(
      '--broker <url>',
      'broker as this worker dials it, mqtts://HOST:PORT (env EDGE_OVERLAY_BROKER_URL)',
    )
    .option('--metrics-port <port>', METRICS_PORT_HELP, zodParser(metricsPortSchema))
    .option('--metrics-host <addr>', METRICS_HOST_HELP, zodParser(metricsHostSchema))
    .option('--temporal-metrics-port <port>', TEMPORAL_METRICS_PORT_HELP, zodParser(metricsPortSchema))
    .option('--json', JSON_HELP)
    .action(async (flags: WorkerFlags & MetricsFlags & { json?: boolean }) => {
      const env = loadEnv();
      const config = resolveWorkerConfig(flags, env);
      const m = resolveMetricsConfig(flags, env);
      await requireMetricsPortFree(m);
      if (m.temporalPort !== undefined)
        await requirePortFree('--temporal-metrics-port', 'Temporal metrics', m.host, m.temporalPort);
      const log = createLogger({ level: env.EDGE_OVERLAY_LOG_LEVEL, format: logFormat(flags, env) });
      const temporalBind = m.temporalPort !== undefined ? bindAddress(m.host, m.temporalPort) : undefined;
      installTemporalLogger(log, { metricsBindAddress: temporalBind });
      const metrics = m.port !== undefined ? createControlMetrics() : undefined;
      const server = metrics && (await serveMetricsFlag([metrics.registry], m.host, m.port!));
      if (server || temporalBind) log.info({ url: server?.url, temporal: temporalBind }, 'serving metrics');
      try {
        const worker = await runWorker(config, log, metrics);
        await Promise.race([untilSignal(log), worker.done]);
        await worker.stop();
      } finally {
        await server?.close(); // an open server would keep a failed start's process alive
      }
    });

  program
    .command('api')
    .description('run the HTTP API (enrollment, revocation into the broker config dir) against Temporal')
    .option('--temporal <host:port>', TEMPORAL_HELP)
    .option('--host <addr>', 'listen address (env EDGE_OVERLAY_API_HOST)')
    .option('--port <port>', `listen port (env EDGE_OVERLAY_API_PORT, default ${DEFAULT_API_PORT})`)
    .option('--token-file <file>', 'bearer token file (or env EDGE_OVERLAY_TOKEN)')
    .option('--pki-dir <dir>', `${PKI_HELP}; shared with the worker`)
    .option('--broker <url>', 'broker as the API dials it, mqtts://HOST:PORT (env EDGE_OVERLAY_BROKER_URL)')
    .option(
      '--broker-advertise <url>',
      'broker as agents dial it, told at enrollment, mqtts://HOST:PORT (env EDGE_OVERLAY_BROKER_ADVERTISE)',
    )
    .option(
      '--broker-config-dir <dir>',
      "the broker's config volume: config, certificates, CRL (env EDGE_OVERLAY_BROKER_CONFIG_DIR)",
    )
    .option('--broker-listen <host:port>', 'broker listener in its config (default 0.0.0.0:8883)')
    .option(
      '--broker-config-path-in <dir>',
      'the config dir as the broker sees it (default /mosquitto/config)',
    )
    .option('--broker-data-path-in <dir>', "the broker's session store (default /mosquitto/data)")
    .option(
      '--metrics-port <port>',
      `${METRICS_PORT_HELP}; not the API's port: no token`,
      zodParser(metricsPortSchema),
    )
    .option('--metrics-host <addr>', METRICS_HOST_HELP, zodParser(metricsHostSchema))
    .option('--json', JSON_HELP)
    .action(async (flags: ApiFlags & MetricsFlags & { json?: boolean }) => {
      const env = loadEnv();
      const config = resolveApiConfig(flags, env);
      const m = resolveMetricsConfig(flags, env);
      const { token } = resolveToken({ tokenFile: flags.tokenFile, envToken: env.EDGE_OVERLAY_TOKEN });
      await requirePortFree('--port', 'API', config.host, config.port);
      await requireMetricsPortFree(m);
      const log = createLogger({ level: env.EDGE_OVERLAY_LOG_LEVEL, format: logFormat(flags, env) });
      const metrics = m.port !== undefined ? createApiMetrics() : undefined;
      const server = metrics && (await serveMetricsFlag([metrics.registry], m.host, m.port!));
      if (server) log.info({ url: server.url }, 'serving metrics');
      try {
        const running = await runApi(config, {
          token,
          uiBaseUrl: env.EDGE_OVERLAY_UI_URL ?? null,
          log,
          ...(metrics ? { metrics } : {}),
        });
        await untilSignal(log);
        await running.close();
      } finally {
        await server?.close();
      }
    });
}
