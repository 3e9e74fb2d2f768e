// `edge-overlay dev`: the whole control plane on loopback until Ctrl-C / SIGTERM.
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { loadEnv } from '../config/env.js';
import { resolveToken } from '../config/token.js';
import { DEFAULT_BROKER_PORT } from '../contract/host-channel.js';
import { type ControlPlane, startControlPlane } from '../dev/control-plane.js';
import { DEFAULT_API_PORT, DEFAULT_TEMPORAL_PORT, DEFAULT_UI_PORT } from '../domain/constants.js';
import { createLogger, installTemporalLogger } from '../log.js';
import { parsePort } from './options.js';
import { untilSignal } from './serve.js';

interface DevFlags {
  apiPort?: number;
  temporalPort: number;
  uiPort: number;
  brokerPort: number;
  dataDir: string;
  tokenFile?: string;
}

/** What `dev` prints once everything is up: where each part is and how an agent joins. */
export function devBanner(
  plane: ControlPlane,
  o: { tokenWhere: string; tokenFile?: string | undefined; dataDir: string },
): string {
  const admin = `--api ${plane.apiUrl}${o.tokenFile ? ` --token-file ${o.tokenFile}` : ''}`;
  return [
    'edge-overlay control plane is up',
    `  API:              ${plane.apiUrl}`,
    `  Temporal:         ${plane.temporal.address}`,
    `  Temporal Web UI:  ${plane.uiUrl}`,
    `  Broker:           ${plane.brokerUrl}   (TLS name broker.edge-overlay, CA ${plane.caCertPath})`,
    `  API token:        ${o.tokenWhere}`,
    `  data:             ${o.dataDir}`,
    'Enroll an agent (HOST: its host id, IF: its underlay interface):',
    `  T=$(edge-overlay hosts join-token HOST ${admin}) && edge-overlay agent --host-id HOST --underlay-iface IF --api ${plane.apiUrl} --join-token "$T"`,
    'Press Ctrl-C to stop.',
  ].join('\n');
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
    .action(async (flags: DevFlags) => {
      const env = loadEnv();
      const log = createLogger({ level: env.EDGE_OVERLAY_LOG_LEVEL, format: env.EDGE_OVERLAY_LOG_FORMAT });
      installTemporalLogger(log);
      const dataDir = resolve(flags.dataDir);
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
        apiPort: flags.apiPort ?? env.EDGE_OVERLAY_API_PORT ?? DEFAULT_API_PORT,
        temporalPort: flags.temporalPort,
        uiPort: flags.uiPort,
        brokerPort: flags.brokerPort,
        dataDir,
        namespace: env.EDGE_OVERLAY_NAMESPACE,
        token: token.token,
        log,
      });
      const tokenWhere = token.path
        ? token.path
        : `from ${token.origin === 'env' ? 'EDGE_OVERLAY_TOKEN' : 'file'}`;
      process.stdout.write(`${devBanner(plane, { tokenWhere, tokenFile: token.path, dataDir })}\n`);
      const reason = await Promise.race([
        untilSignal(log),
        plane.workerDone.then(
          () => 'control worker stopped',
          (err: unknown) => `control worker crashed: ${(err as Error).message}`,
        ),
      ]);
      log.info({ reason }, 'stopping control plane');
      await plane.stop();
      process.stdout.write('edge-overlay control plane stopped\n');
    });
}
