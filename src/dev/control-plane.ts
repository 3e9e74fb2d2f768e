// The whole control plane on one machine: Temporal dev server, control worker and API.
// Used by `edge-overlay dev` and by the lab; stops everything it started, in reverse order.
import { Client, Connection } from '@temporalio/client';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startApiServer, type ApiServer } from '../api/server.js';
import { startControlWorker, type ControlWorker } from '../worker.js';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-server.js';

export interface ControlPlaneOptions {
  host: string;
  apiPort: number;
  temporalPort: number;
  uiPort: number;
  dataDir: string;
  namespace: string;
  token: string;
  log: Logger;
}

export interface ControlPlane {
  temporal: TemporalDevServer;
  apiUrl: string;
  uiUrl: string | null;
  /** Settles if the control worker stops on its own (a crash): the caller should stop everything. */
  workerDone: Promise<void>;
  stop(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  mkdirSync(opts.dataDir, { recursive: true });
  const { log } = opts;
  const stack: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stack.reverse()) await fn().catch((err) => log.error({ err }, 'stop failed'));
    stack.length = 0;
  };
  try {
    log.info({ port: opts.temporalPort }, 'starting Temporal dev server');
    const temporal = await startTemporalDevServer({
      ip: opts.host,
      port: opts.temporalPort,
      uiPort: opts.uiPort,
      dbFile: join(opts.dataDir, 'temporal.db'),
      log,
    });
    stack.push(() => temporal.stop());
    const worker: ControlWorker = await startControlWorker({
      address: temporal.address,
      namespace: opts.namespace,
      log,
    });
    stack.push(() => worker.stop());
    const connection = await Connection.connect({ address: temporal.address });
    stack.push(() => connection.close());
    const client = new Client({ connection, namespace: opts.namespace });
    const api: ApiServer = await startApiServer(
      { client, log, token: opts.token, uiBaseUrl: temporal.uiUrl, namespace: opts.namespace },
      opts.host,
      opts.apiPort,
    );
    stack.push(() => api.close());
    return { temporal, apiUrl: api.url, uiUrl: temporal.uiUrl, workerDone: worker.done, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
