// application/problem+json (RFC 9457) for every error the API returns. 4xx details pass through;
// 5xx details are replaced so internals never leak (STYLE 2.13).
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Framework messages may quote the request (a URL, a header): keep them short. */
const MAX_DETAIL = 300;

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

/** Problem types: stable URNs, one per kind of failure a client may branch on. */
export const ProblemType = {
  ValidationFailed: 'urn:edge-overlay:problem:validation-failed',
  MalformedRequest: 'urn:edge-overlay:problem:malformed-request',
  PayloadTooLarge: 'urn:edge-overlay:problem:payload-too-large',
  HeadersTooLarge: 'urn:edge-overlay:problem:headers-too-large',
  RequestTimeout: 'urn:edge-overlay:problem:request-timeout',
  UnsupportedMediaType: 'urn:edge-overlay:problem:unsupported-media-type',
  Unauthorized: 'urn:edge-overlay:problem:unauthorized',
  JoinTokenRefused: 'urn:edge-overlay:problem:join-token-refused',
  CsrRejected: 'urn:edge-overlay:problem:csr-rejected',
  EnrollmentNotConfigured: 'urn:edge-overlay:problem:enrollment-not-configured',
  NotFound: 'urn:edge-overlay:problem:not-found',
  ClusterNotFound: 'urn:edge-overlay:problem:cluster-not-found',
  HostNotRegistered: 'urn:edge-overlay:problem:host-not-registered',
  HostNotInCluster: 'urn:edge-overlay:problem:host-not-in-cluster',
  ClusterExists: 'urn:edge-overlay:problem:cluster-exists',
  HostAlreadyInCluster: 'urn:edge-overlay:problem:host-already-in-cluster',
  OverlayImmutable: 'urn:edge-overlay:problem:overlay-immutable',
  ClusterDeleting: 'urn:edge-overlay:problem:cluster-deleting',
  InvalidOverlayConfig: 'urn:edge-overlay:problem:invalid-overlay-config',
  /** Another cluster already uses an overlapping CIDR with the same VNI on the same underlay (force: true overrides). */
  OverlayConflict: 'urn:edge-overlay:problem:overlay-conflict',
  Unavailable: 'urn:edge-overlay:problem:temporal-unavailable',
  /** The host's agent did not carry out a command in time (not running, or not connected to the broker). */
  HostAgentUnreachable: 'urn:edge-overlay:problem:host-agent-unreachable',
  Internal: 'urn:edge-overlay:problem:internal-error',
} as const;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export const statusTitle = (status: number): string =>
  TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Error');

/** Thrown by handlers and services; the error handler renders it as is. */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(status: number, type: string, detail: string, errors?: FieldError[], title?: string) {
    super(detail);
    this.name = 'ProblemError';
    this.problem = {
      type,
      title: title ?? statusTitle(status),
      status,
      detail,
      ...(errors ? { errors } : {}),
    };
  }
}

export const validationProblem = (detail: string, errors: FieldError[]): ProblemError =>
  new ProblemError(400, ProblemType.ValidationFailed, detail, errors);

/** Every 400 carries a field-level `errors` list (DESIGN.md); a body-wide problem names `(body)`. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  const body =
    problem.status === 400 && !problem.errors?.length
      ? { ...problem, errors: [{ field: '(body)', message: problem.detail }] }
      : problem;
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** `/hosts/0/hostId` → `hosts[0].hostId`: how people write a field of a JSON body. */
export function fieldPath(segments: Array<string | number>): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number' || /^\d+$/.test(String(s))) out += `[${s}]`;
    else out += out ? `.${s}` : String(s);
  }
  return out;
}

interface ZodIssueLike {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** One field error per zod issue; every unknown key gets its own entry. */
export function zodIssuesToFieldErrors(issues: ZodIssueLike[], context: string | undefined): FieldError[] {
  const prefix = context && context !== 'body' ? [context === 'querystring' ? 'query' : context] : [];
  const out: FieldError[] = [];
  for (const issue of issues) {
    const path = issue.instancePath.split('/').filter((s) => s !== '');
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(issue.params.keys)) {
      for (const key of issue.params.keys as string[]) {
        out.push({ field: fieldPath([...prefix, ...path, key]), message: 'unknown field' });
      }
      continue;
    }
    out.push({ field: fieldPath([...prefix, ...path]) || '(body)', message: issue.message ?? 'invalid' });
  }
  return out;
}

/** Problem for errors Fastify itself raises (parsing, size, media type) or that handlers throw. */
export function toProblem(err: unknown, log: Logger): Problem {
  if (err instanceof ProblemError) return err.problem;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const ctx = (err as { validationContext?: string }).validationContext;
    return {
      type: ProblemType.ValidationFailed,
      title: statusTitle(400),
      status: 400,
      detail: `request ${ctx === 'querystring' ? 'query' : (ctx ?? 'body')} failed validation`,
      errors: zodIssuesToFieldErrors(err.validation, ctx),
    };
  }
  const fe = err as Partial<FastifyError>;
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const type =
      status === 413
        ? ProblemType.PayloadTooLarge
        : status === 415
          ? ProblemType.UnsupportedMediaType
          : status === 404
            ? ProblemType.NotFound
            : ProblemType.MalformedRequest;
    const detail = (fe.message ?? statusTitle(status)).slice(0, MAX_DETAIL);
    return { type, title: statusTitle(status), status, detail };
  }
  log.error({ err }, 'request failed');
  return {
    type: ProblemType.Internal,
    title: statusTitle(500),
    status: 500,
    detail: 'internal error; see the API log',
  };
}

export function installProblemHandlers(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err, _req, reply) => sendProblem(reply, toProblem(err, log)));
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, {
      type: ProblemType.NotFound,
      title: statusTitle(404),
      status: 404,
      detail: `no route ${req.method} ${(req.url.split('?')[0] ?? '').slice(0, 200)}`,
    }),
  );
}
