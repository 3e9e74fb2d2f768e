// `edge-overlay dev`: the whole control plane on loopback until Ctrl-C / SIGTERM.
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { loadEnv } from '../config/env.js';
import { resolveToken } from '../config/token.js';
import { BROKER_SERVER_NAME, DEFAULT_BROKER_PORT } from '../contract/host-channel.js';
import { type ControlPlane, startControlPlane } from '../dev/control-plane.js';
import { lockDataDir } from '../dev/data-dir-lock.js';
import { assertPortFree, freePort, PortInUseError } from '../dev/process.js';
import { DEFAULT_API_PORT, DEFAULT_TEMPORAL_PORT, DEFAULT_UI_PORT } from '../domain/constants.js';
import { createLogger, installTemporalLogger } from '../log.js';
import { type DevMetrics, devMetricsBanner, startDevMetrics } from '../metrics/dev-metrics.js';
import { CliError } from './errors.js';
import { parsePort } from './options.js';
import { untilSignal } from './serve.js';

interface DevFlags {
  apiPort?: number;
  temporalPort: number;
  uiPort: number;
  brokerPort: number;
  dataDir: string;
  tokenFile?: string;
  json?: boolean;
  metricsPort?: number;
  temporalMetricsPort?: number;
  /** false with --no-metrics */
  metrics: boolean;
}

interface BannerInfo {
  tokenWhere: string;
  tokenFile?: string | undefined;
  dataDir: string;
  metrics?: DevMetrics | undefined;
}

/** What `dev` prints once everything is up: where each part is and how an agent joins. */
export function devBanner(plane: ControlPlane, o: BannerInfo): string {
  const admin = `--api ${plane.apiUrl}${o.tokenFile ? ` --token-file ${o.tokenFile}` : ''}`;
  return [
    'edge-overlay control plane is up',
    `  API:              ${plane.apiUrl}   (description: ${plane.apiUrl}/openapi.json, no token needed)`,
    `  Temporal:         ${plane.temporal.address}`,
    `  Temporal Web UI:  ${plane.uiUrl}`,
    `  Broker:           ${plane.brokerUrl}   (TLS name ${BROKER_SERVER_NAME}, CA ${plane.caCertPath})`,
    ...devMetricsBanner(o.metrics),
    `  API token:        ${o.tokenWhere}`,
    `  data:             ${o.dataDir}`,
    'Enroll an agent (HOST: its host id, IF: its underlay interface):',
    `  T=$(edge-overlay hosts join-token HOST ${admin}) && edge-overlay agent --host-id HOST --underlay-iface IF --api ${plane.apiUrl} --join-token "$T"`,
    'Press Ctrl-C to stop.',
  ].join('\n');
}

/** The banner as one JSON line (`dev --json`): the same facts, for scripts. */
export function devBannerJson(plane: ControlPlane, o: BannerInfo): string {
  return JSON.stringify({
    event: 'ready',
    apiUrl: plane.apiUrl,
    openapiUrl: `${plane.apiUrl}/openapi.json`,
    temporal: plane.temporal.address,
    uiUrl: plane.uiUrl,
    brokerUrl: plane.brokerUrl,
    brokerServerName: BROKER_SERVER_NAME,
    caCertPath: plane.caCertPath,
    token: o.tokenWhere,
    tokenFile: o.tokenFile ?? null,
    dataDir: o.dataDir,
    metricsUrl: o.metrics?.url ?? null,
    temporalMetricsUrl: o.metrics?.temporalUrl ?? null,
  });
}

const PORT_FLAGS: Record<string, keyof DevFlags> = {
  API: 'apiPort',
  broker: 'brokerPort',
  Temporal: 'temporalPort',
  'Temporal Web UI': 'uiPort',
  metrics: 'metricsPort',
  'Temporal metrics': 'temporalMetricsPort',
};
const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** A taken port named with the flag that moves it. */
function portConflict(err: PortInUseError, flags: DevFlags, apiPort: number): CliError {
  const key = PORT_FLAGS[err.what];
  const configured = key === 'apiPort' ? apiPort : key ? (flags[key] as number | undefined) : undefined;
  const hint =
    key && configured === err.port
      ? `is another edge-overlay dev running? Stop it, or pass ${flagName(key)} with a free port`
      : err.hint;
  return new CliError(err.message, err.exitCode, hint);
}

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('run Temporal dev server + broker + control worker + API on loopback (Ctrl-C stops all)')
    .option('--api-port <port>', `API port (default ${DEFAULT_API_PORT})`, parsePort)
    .option('--temporal-port <port>', 'Temporal frontend port', parsePort, DEFAULT_TEMPORAL_PORT)
    .option('--ui-port <port>', 'Temporal Web UI port', parsePort, DEFAULT_UI_PORT)
    .option('--broker-port <port>', 'MQTT broker (TLS) port', parsePort, DEFAULT_BROKER_PORT)
    .option('--data-dir <dir>', 'state folder (Temporal SQLite, CA and certificates, broker, token)', '.data')
    .option('--token-file <file>', 'API bearer token file')
    .option(
      '--metrics-port <port>',
      'Prometheus metrics of the worker and the API (env EDGE_OVERLAY_METRICS_PORT; default a free port)',
      parsePort,
    )
    .option(
      '--temporal-metrics-port <port>',
      "the Temporal SDK's metrics (env EDGE_OVERLAY_TEMPORAL_METRICS_PORT; default a free port)",
      parsePort,
    )
    .option('--no-metrics', 'serve no metrics at all')
    .option('--json', 'JSON lines only: logs, then the banner as one {"event":"ready",…} line')
    .action(async (flags: DevFlags) => {
      const env = loadEnv();
      const format = flags.json ? 'json' : env.EDGE_OVERLAY_LOG_FORMAT;
      const log = createLogger({ level: env.EDGE_OVERLAY_LOG_LEVEL, format });
      const apiPort = flags.apiPort ?? env.EDGE_OVERLAY_API_PORT ?? DEFAULT_API_PORT;
      // The SDK's metrics port goes to the Temporal runtime, which exists once and before anything else.
      const metricsPort = flags.metrics ? (flags.metricsPort ?? env.EDGE_OVERLAY_METRICS_PORT ?? 0) : null;
      const temporalMetricsPort = flags.metrics
        ? (flags.temporalMetricsPort ?? env.EDGE_OVERLAY_TEMPORAL_METRICS_PORT ?? (await freePort()))
        : null;
      const inUse = (err: unknown) =>
        err instanceof PortInUseError ? portConflict(err, flags, apiPort) : err;
      if (temporalMetricsPort !== null)
        await assertPortFree('Temporal metrics', '127.0.0.1', temporalMetricsPort).catch((err: unknown) => {
          throw inUse(err);
        });
      installTemporalLogger(log, {
        metricsBindAddress: temporalMetricsPort !== null ? `127.0.0.1:${temporalMetricsPort}` : undefined,
      });
      const dataDir = resolve(flags.dataDir);
      // Before anything else: a second dev on the same dir must not touch the first one's files.
      const lock = await lockDataDir(dataDir);
      let metrics: DevMetrics | undefined;
      try {
        // Ours first: a taken --metrics-port fails before anything else starts.
        if (metricsPort !== null && temporalMetricsPort !== null)
          metrics = await startDevMetrics(metricsPort, temporalMetricsPort).catch((err: unknown) => {
            throw inUse(err);
          });
        const token = resolveToken({
          tokenFile: flags.tokenFile,
          envToken: env.EDGE_OVERLAY_TOKEN,
          generateInto: join(dataDir, 'api-token'),
        });
        // A signal while the parts start ends this process; execa's cleanup stops the children it started.
        // The handlers go in only after the start: execa's signal-exit handler re-raises a signal when it
        // sees no other listener, and a `once` listener registered before it is gone by then.
        const plane = await startControlPlane({
          host: '127.0.0.1',
          apiPort,
          temporalPort: flags.temporalPort,
          uiPort: flags.uiPort,
          brokerPort: flags.brokerPort,
          dataDir,
          namespace: env.EDGE_OVERLAY_NAMESPACE,
          token: token.token,
          log,
          ...(metrics ? { metrics: metrics.recorders } : {}),
        }).catch((err: unknown) => {
          throw inUse(err);
        });
        const tokenWhere = token.path
          ? token.path
          : `from ${token.origin === 'env' ? 'EDGE_OVERLAY_TOKEN' : 'file'}`;
        const info = { tokenWhere, tokenFile: token.path, dataDir, metrics };
        process.stdout.write(`${flags.json ? devBannerJson(plane, info) : devBanner(plane, info)}\n`);
        const reason = await Promise.race([
          untilSignal(log),
          plane.workerDone.then(
            () => 'control worker stopped',
            (err: unknown) => `control worker crashed: ${(err as Error).message}`,
          ),
        ]);
        log.info({ reason }, 'stopping control plane');
        await plane.stop();
        process.stdout.write(
          flags.json
            ? `${JSON.stringify({ event: 'stopped', reason })}\n`
            : 'edge-overlay control plane stopped\n',
        );
      } finally {
        await metrics?.close();
        await lock.release();
      }
    });
}
