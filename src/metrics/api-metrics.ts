// The API's request metrics: one onResponse hook counts every answer by method, route PATTERN
// (`/v1/clusters/:name`, never the raw URL: label values stay bounded whatever callers send) and status
// code, and times it. A request no route matched (404, or a URL the router refused) is `route="unmatched"`.
import type { FastifyInstance } from 'fastify';
import { Registry } from './registry.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Methods Fastify routes; anything else (a scanner's VERB) is counted as `other`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function createApiMetrics(registry = new Registry()) {
  const requests = registry.counter(
    'edge_overlay_api_requests_total',
    'HTTP requests answered by the API, by method, route pattern and status code',
    ['method', 'route', 'status'],
  );
  const duration = registry.histogram(
    'edge_overlay_api_request_duration_seconds',
    'Time from the request arriving to its answer sent, by method and route pattern',
    ['method', 'route'],
    DURATION_BUCKETS,
  );
  return {
    registry,
    requests,
    /** Adds the hook to `app` (before its routes are registered: hooks apply to routes added after). */
    install(app: FastifyInstance): void {
      app.addHook('onResponse', async (request, reply) => {
        const route = request.routeOptions.url ?? 'unmatched';
        const method = METHODS.has(request.method) ? request.method : 'other';
        requests.inc({ method, route, status: reply.statusCode });
        duration.observe(reply.elapsedTime / 1000, { method, route });
      });
    },
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
