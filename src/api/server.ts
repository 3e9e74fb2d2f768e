// The one place that listens: builds the app, binds, and closes gracefully.
import type { FastifyInstance } from 'fastify';
import { buildApp, type ApiDeps } from './app.js';

export interface ApiServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startApiServer(deps: ApiDeps, host: string, port: number): Promise<ApiServer> {
  const app = await buildApp(deps);
  await app.listen({ host, port });
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}
