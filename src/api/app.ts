// The HTTP API as a Fastify instance; only src/api/server.ts listens (STYLE 2.13).
import type { Client } from '@temporalio/client';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import { installBearerAuth } from './auth.js';
import { type ApiContext, DEFAULT_UI_BASE_URL, type EnrollmentPki, workflowUiUrl } from './context.js';
import { registerOpenApi, registerOpenApiRoute } from './openapi.js';
import { installProblemHandlers, sendProblem } from './problem.js';
import { frameworkProblem, MAX_PARAM_LENGTH, problemClientErrorHandler } from './router-errors.js';
import { clusterRoutes } from './routes/clusters.js';
import { enrollRoutes } from './routes/enroll.js';
import { healthRoutes } from './routes/health.js';
import { hostResetRoutes } from './routes/host-reset.js';
import { hostRoutes } from './routes/hosts.js';
import { joinTokenRoutes } from './routes/join-tokens.js';

export interface ApiDeps {
  client: Client;
  log: Logger;
  /** Bearer token every route except /healthz requires. */
  token: string;
  /** Base URL of the Temporal Web UI for `uiUrl` links; null means the dev default (127.0.0.1:8233). */
  uiBaseUrl: string | null;
  namespace: string;
  /** Task queue of the control worker (default CONTROL_TASK_QUEUE); tests use their own. */
  taskQueue?: string;
  /** How long one request may wait on Temporal and the control worker (default 15 s). */
  temporalTimeoutMs?: number;
  /** Largest accepted request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /** The product CA and broker; without them join tokens, enrollment and host deletion answer 503. */
  pki?: EnrollmentPki;
  /** Broker reachability for /healthz (200 only when Temporal AND the broker answer). */
  brokerHealthy?: () => Promise<boolean>;
  /** Request metrics (served on the metrics port by the caller, not by this app). */
  metrics?: ApiMetrics;
}

/** Per-request lines at debug: at info every status poll of a CLI `--watch` filled the log. A 5xx stays
 * visible at warn (the handler logs its error at error); 4xx answers are the caller's business. */
class RequestLog extends Fastify.LogController {
  override incomingRequest(req: FastifyRequest): void {
    if (!this.isLogDisabled(req)) req.log.debug({ req }, 'incoming request');
  }
  override requestCompleted(error: Error | null, req: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(req)) return;
    const fields = { res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else if (reply.statusCode >= 500) reply.log.warn(fields, 'request completed');
    else reply.log.debug(fields, 'request completed');
  }
}

export const API_VERSION = '1.0.0';
export const DEFAULT_BODY_LIMIT = 64 * 1024;
export const DEFAULT_TEMPORAL_TIMEOUT_MS = 15_000;

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const log = deps.log.child({ component: 'api' });
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new RequestLog(),
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestTimeout: 60_000,
    connectionTimeout: 60_000,
    // Long path parameters reach the zod params schemas (400 naming the field), never a 414.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Router-level failures (bad URL encoding, over-long parameters) as problem+json too.
    frameworkErrors: (err, _req, reply) => sendProblem(reply, frameworkProblem(err, log)),
    // So are requests Node cannot parse (a request line over its header limit: 431).
    clientErrorHandler: problemClientErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body is a 415, not a string that happens to fail validation.
  app.removeContentTypeParser('text/plain');
  deps.metrics?.install(app);
  installProblemHandlers(app, log);
  installBearerAuth(app, deps.token);
  await registerOpenApi(app, API_VERSION);

  const uiBaseUrl = deps.uiBaseUrl ?? DEFAULT_UI_BASE_URL;
  const ctx: ApiContext = {
    client: deps.client,
    log,
    namespace: deps.namespace,
    ...(deps.taskQueue ? { taskQueue: deps.taskQueue } : {}),
    withDeadline: (fn, extraMs = 0) =>
      deps.client.connection.withDeadline(
        Date.now() + (deps.temporalTimeoutMs ?? DEFAULT_TEMPORAL_TIMEOUT_MS) + extraMs,
        fn,
      ),
    uiUrl: (workflowId) => workflowUiUrl(uiBaseUrl, deps.namespace, workflowId),
    ...(deps.pki ? { pki: deps.pki } : {}),
    ...(deps.brokerHealthy ? { brokerHealthy: deps.brokerHealthy } : {}),
  };
  await app.register(healthRoutes(ctx));
  await app.register(hostRoutes(ctx), { prefix: '/v1' });
  await app.register(hostResetRoutes(ctx), { prefix: '/v1' });
  await app.register(joinTokenRoutes(ctx), { prefix: '/v1' });
  await app.register(enrollRoutes(ctx), { prefix: '/v1' });
  await app.register(clusterRoutes(ctx), { prefix: '/v1' });
  registerOpenApiRoute(app);
  return app;
}
