// GET /healthz: 200 when Temporal answers, 503 problem+json when it does not. No token needed.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context.js';
import { ProblemError, ProblemType } from '../problem.js';
import { healthSchema, problemResponse } from '../schemas.js';

const HEALTH_DEADLINE_MS = 2000;

export const healthRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          summary: 'liveness: 200 when Temporal is reachable',
          security: [],
          response: { 200: healthSchema, 503: problemResponse('Temporal is not reachable') },
        },
      },
      async () => {
        try {
          await ctx.client.connection.withDeadline(Date.now() + HEALTH_DEADLINE_MS, () =>
            ctx.client.connection.workflowService.getSystemInfo({}),
          );
        } catch (err) {
          ctx.log.warn({ err }, 'health check: Temporal unreachable');
          throw new ProblemError(503, ProblemType.Unavailable, 'Temporal is not reachable');
        }
        return { status: 'ok' as const };
      },
    );
  };
