// The HTTP API as a Fastify instance; only src/api/server.ts listens (STYLE 2.13).
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export interface ApiDeps {
  client: Client;
  log: Logger;
  /** Bearer token every route except /healthz requires. */
  token: string;
  /** Base URL of the Temporal Web UI for `uiUrl` links. */
  uiBaseUrl: string | null;
  namespace: string;
}

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
  });
  app.get('/healthz', async (_req, reply) => {
    try {
      await deps.client.connection.workflowService.getSystemInfo({});
      return { status: 'ok' };
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', detail: (err as Error).message });
    }
  });
  return app;
}
