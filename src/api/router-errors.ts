// Failures raised before a route runs (router, HTTP parser) answered as problem+json too. A long path
// parameter is never a 414: the router hands it to the route's zod params schema, whose 400 names the
// parameter (`params.name`: too long); past MAX_PARAM_LENGTH it is still a 400 with a field list.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError } from 'fastify';
import type { Logger } from 'pino';
import { PROBLEM_CONTENT_TYPE, type Problem, ProblemType, statusTitle, toProblem } from './problem.js';

/**
 * Longest path parameter the router passes on to validation: the 16 KiB a default Node server accepts
 * for the whole request head, so every URL that reaches us is judged by the params schemas.
 */
export const MAX_PARAM_LENGTH = 16 * 1024;

/** Problem for a router-level failure (`frameworkErrors`): bad URL encoding, an over-long parameter. */
export function frameworkProblem(err: FastifyError, log: Logger): Problem {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const message = `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`;
    return {
      type: ProblemType.ValidationFailed,
      title: statusTitle(400),
      status: 400,
      detail: 'request params failed validation',
      errors: [{ field: 'params', message }],
    };
  }
  return toProblem(err, log);
}

/** Status and problem type for an HTTP parser failure (Node's `clientError`). */
function clientErrorProblem(err: ConnectionError): Problem {
  const [status, type, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, ProblemType.HeadersTooLarge, 'the request line and headers exceed the server limit']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, ProblemType.RequestTimeout, 'the request did not arrive in time']
        : [400, ProblemType.MalformedRequest, 'the request is not valid HTTP'];
  const title = STATUS_CODES[status] ?? statusTitle(status);
  const problem: Problem = { type, title, status, detail };
  return status === 400 ? { ...problem, errors: [{ field: '(request)', message: detail }] } : problem;
}

/**
 * Fastify `clientErrorHandler`: a request Node cannot parse (e.g. a URL over its header limit) gets a
 * problem+json answer instead of Fastify's bare JSON; then the connection closes.
 */
export function problemClientErrorHandler(err: ConnectionError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const problem = clientErrorProblem(err);
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(err);
}
