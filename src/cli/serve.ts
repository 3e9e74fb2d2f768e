// `edge-overlay worker` and `edge-overlay api`: the production processes (one per container).
import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { loadEnv } from '../config/env.js';
import { resolveToken } from '../config/token.js';
import { DEFAULT_API_PORT } from '../domain/constants.js';
import { createLogger, installTemporalLogger, type Logger } from '../log.js';
import { startApiServer } from '../api/server.js';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes.js';
import { startControlWorker } from '../worker.js';
import { parseHostPort, parsePort } from './options.js';

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

export function registerServeCommands(program: Command): void {
  program
    .command('worker')
    .description('run the control worker (workflows + control activities) against a Temporal service')
    .option('--temporal <host:port>', 'Temporal frontend (env EDGE_OVERLAY_TEMPORAL)', parseHostPort)
    .action(async (flags: { temporal?: string }) => {
      const env = loadEnv();
      const log = createLogger({ level: env.EDGE_OVERLAY_LOG_LEVEL, format: env.EDGE_OVERLAY_LOG_FORMAT });
      installTemporalLogger(log);
      const address = flags.temporal ?? env.EDGE_OVERLAY_TEMPORAL;
      const connection = await Connection.connect({ address });
      const added = await ensureSearchAttributes(connection, env.EDGE_OVERLAY_NAMESPACE);
      if (added.length) log.info({ added }, 'registered search attributes');
      await connection.close();
      const worker = await startControlWorker({ address, namespace: env.EDGE_OVERLAY_NAMESPACE, log });
      await Promise.race([untilSignal(log), worker.done]);
      await worker.stop();
    });

  program
    .command('api')
    .description('run the HTTP API against a Temporal service')
    .option('--temporal <host:port>', 'Temporal frontend (env EDGE_OVERLAY_TEMPORAL)', parseHostPort)
    .option('--host <addr>', 'listen address (env EDGE_OVERLAY_API_HOST)')
    .option(
      '--port <port>',
      `listen port (env EDGE_OVERLAY_API_PORT, default ${DEFAULT_API_PORT})`,
      parsePort,
    )
    .option('--token-file <file>', 'bearer token file (or env EDGE_OVERLAY_TOKEN)')
    .action(async (flags: { temporal?: string; host?: string; port?: number; tokenFile?: string }) => {
      const env = loadEnv();
      const log = createLogger({ level: env.EDGE_OVERLAY_LOG_LEVEL, format: env.EDGE_OVERLAY_LOG_FORMAT });
      const { token } = resolveToken({ tokenFile: flags.tokenFile, envToken: env.EDGE_OVERLAY_TOKEN });
      const connection = await Connection.connect({ address: flags.temporal ?? env.EDGE_OVERLAY_TEMPORAL });
      const client = new Client({ connection, namespace: env.EDGE_OVERLAY_NAMESPACE });
      const api = await startApiServer(
        {
          client,
          log,
          token,
          uiBaseUrl: env.EDGE_OVERLAY_UI_URL ?? null,
          namespace: env.EDGE_OVERLAY_NAMESPACE,
        },
        flags.host ?? env.EDGE_OVERLAY_API_HOST,
        flags.port ?? env.EDGE_OVERLAY_API_PORT ?? DEFAULT_API_PORT,
      );
      await untilSignal(log);
      await api.close();
      await connection.close();
    });
}
