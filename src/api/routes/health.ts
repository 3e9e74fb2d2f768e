// GET /healthz: 200 when Temporal answers and (when the API was given a broker check) the broker does,
// 503 problem+json naming what is down. No token needed.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { ProblemError, ProblemType } from '../problem.js';
import { problemResponse } from '../schemas.js';

const HEALTH_DEADLINE_MS = 2000;
/** Load balancers and watchers poll /healthz; the broker is asked at most once per this long. */
export const BROKER_CHECK_CACHE_MS = 1000;
export const BROKER_UNAVAILABLE = 'urn:edge-overlay:problem:broker-unavailable';

const ok = z.literal('ok');
/** `temporal` and `broker` appear when the API checks the broker too (the v2 control plane). */
export const healthStatusSchema = z
  .object({ status: ok, temporal: ok.optional(), broker: ok.optional() })
  .meta({ id: 'Health' });

const withTimeout = (check: () => Promise<boolean>, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    check().then(
      (up) => {
        clearTimeout(timer);
        resolve(up);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });

/** The check's answer, reused for `ttlMs` (concurrent callers share one check in flight). */
export function cachedCheck(check: () => Promise<boolean>, ttlMs: number): () => Promise<boolean> {
  let last: { at: number; up: Promise<boolean> } | null = null;
  return () => {
    const now = Date.now();
    if (last === null || now - last.at >= ttlMs) {
      last = { at: now, up: withTimeout(check, HEALTH_DEADLINE_MS) };
    }
    return last.up;
  };
}

function downProblem(temporalUp: boolean, brokerUp: boolean): ProblemError {
  if (!temporalUp && !brokerUp) {
    return new ProblemError(503, ProblemType.Unavailable, 'Temporal and the broker are not reachable');
  }
  if (!temporalUp) return new ProblemError(503, ProblemType.Unavailable, 'Temporal is not reachable');
  return new ProblemError(503, BROKER_UNAVAILABLE, 'the broker is not reachable');
}

export const healthRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    const brokerUp = ctx.brokerHealthy ? cachedCheck(ctx.brokerHealthy, BROKER_CHECK_CACHE_MS) : null;
    const temporalUp = async (): Promise<boolean> => {
      try {
        await ctx.client.connection.withDeadline(Date.now() + HEALTH_DEADLINE_MS, () =>
          ctx.client.connection.workflowService.getSystemInfo({}),
        );
        return true;
      } catch (err) {
        ctx.log.warn({ err }, 'health check: Temporal unreachable');
        return false;
      }
    };
    app.get(
      '/healthz',
      {
        schema: {
          summary: 'liveness: 200 when Temporal and the broker are reachable',
          security: [],
          response: {
            200: healthStatusSchema,
            503: problemResponse('Temporal or the broker is not reachable (the detail says which)'),
          },
        },
      },
      async () => {
        const [temporal, broker] = await Promise.all([temporalUp(), brokerUp ? brokerUp() : true]);
        if (!temporal || !broker) {
          if (!broker) ctx.log.warn('health check: broker unreachable');
          throw downProblem(temporal, broker);
        }
        return brokerUp
          ? { status: 'ok' as const, temporal: 'ok' as const, broker: 'ok' as const }
          : { status: 'ok' as const };
      },
    );
  };
