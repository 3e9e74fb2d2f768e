// `GET /metrics` on its own small HTTP server (node:http: nothing loaded that the lean agent lacks).
// Separate from the API's port on purpose: scrapers send no bearer token, and the default address is
// loopback, so nothing is exposed on an edge box or a control-plane host unless asked for.
import { createServer, type Server } from 'node:http';
import { ConfigError } from '../config/env.js';
import type { Registry } from './registry.js';

export const DEFAULT_METRICS_HOST = '127.0.0.1';

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The port cannot be bound (in use, not permitted): said with the address, for the CLI to print. */
export class MetricsListenError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly code: string,
  ) {
    super(`cannot serve metrics on ${host}:${port}: ${code === 'EADDRINUSE' ? 'address in use' : code}`);
    this.name = 'MetricsListenError';
  }
}

/** Serves every registry given (the `dev` process: the worker's and the API's) as one page. Port 0 picks one. */
export async function startMetricsServer(o: {
  registries: readonly Registry[];
  host?: string;
  port: number;
}): Promise<MetricsServer> {
  const host = o.host ?? DEFAULT_METRICS_HOST;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    const body = o.registries.map((r) => r.expose()).join('');
    res.writeHead(200, { 'content-type': o.registries[0]?.contentType ?? 'text/plain' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  // An idle scraper's keep-alive connection must not hold a stop up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new MetricsListenError(host, o.port, err.code ?? err.message)),
    );
    server.listen(o.port, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** startMetricsServer for a CLI: a port that cannot be bound is a usage error naming the flag (exit 2). */
export async function serveMetricsFlag(
  registries: readonly Registry[],
  host: string,
  port: number,
  flag = '--metrics-port',
): Promise<MetricsServer> {
  try {
    return await startMetricsServer({ registries, host, port });
  } catch (err) {
    if (err instanceof MetricsListenError) throw new ConfigError([`${flag}: ${err.message}`]);
    throw err;
  }
}
