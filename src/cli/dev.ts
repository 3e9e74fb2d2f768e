// `edge-overlay dev`: the whole control plane on loopback until Ctrl-C / SIGTERM.
import type { Command } from 'commander';
import { resolve, join } from 'node:path';
import { loadEnv } from '../config/env.js';
import { resolveToken } from '../config/token.js';
import { startControlPlane } from '../dev/control-plane.js';
import { DEFAULT_API_PORT, DEFAULT_TEMPORAL_PORT, DEFAULT_UI_PORT } from '../domain/constants.js';
import { createLogger, installTemporalLogger } from '../log.js';
import { parsePort } from './options.js';
import { untilSignal } from './serve.js';

interface DevFlags {
  apiPort?: number;
  temporalPort: number;
  uiPort: number;
  dataDir: string;
  tokenFile?: string;
}

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('run Temporal dev server + control worker + API on loopback (Ctrl-C stops all)')
    .option('--api-port <port>', `API port (default ${DEFAULT_API_PORT})`, parsePort)
    .option('--temporal-port <port>', 'Temporal frontend port', parsePort, DEFAULT_TEMPORAL_PORT)
    .option('--ui-port <port>', 'Temporal Web UI port', parsePort, DEFAULT_UI_PORT)
    .option('--data-dir <dir>', 'state folder (Temporal SQLite, token)', '.data')
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
      const host = '127.0.0.1';
      const plane = await startControlPlane({
        host,
        apiPort: flags.apiPort ?? env.EDGE_OVERLAY_API_PORT ?? DEFAULT_API_PORT,
        temporalPort: flags.temporalPort,
        uiPort: flags.uiPort,
        dataDir,
        namespace: env.EDGE_OVERLAY_NAMESPACE,
        token: token.token,
        log,
      });
      const lines = [
        `edge-overlay control plane is up`,
        `  API:              ${plane.apiUrl}`,
        `  Temporal:         ${plane.temporal.address}`,
        `  Temporal Web UI:  ${plane.uiUrl}`,
        `  API token:        ${token.path ? token.path : `from ${token.origin === 'env' ? 'EDGE_OVERLAY_TOKEN' : 'file'}`}`,
        `  data:             ${dataDir}`,
        `Press Ctrl-C to stop.`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
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
