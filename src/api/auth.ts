// Bearer-token check on every route except the public ones, in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ProblemError, ProblemType } from './problem.js';

/** Routes anyone may call (DESIGN.md fixed contracts): liveness for probes and load balancers, the API's
 * description, and enrollment, whose credential is the join token in its body (an agent never holds the
 * admin token). */
export const PUBLIC_ROUTES = new Set(['/healthz', '/openapi.json', '/v1/hosts/enroll']);

// Hashing both sides first gives equal-length buffers, so timingSafeEqual never throws and the
// comparison time does not depend on the length or content of the guess.
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export function tokenMatches(expected: Buffer, presented: string): boolean {
  return timingSafeEqual(expected, digest(presented));
}

/** `Authorization: Bearer <token>`; scheme is case-insensitive (RFC 7235). */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export function installBearerAuth(app: FastifyInstance, token: string): void {
  const expected = digest(token);
  app.addHook('onRequest', async (req, reply) => {
    const path = req.routeOptions.url ?? req.url.split('?')[0];
    if (path && PUBLIC_ROUTES.has(path)) return;
    const presented = bearerToken(req.headers.authorization);
    if (presented !== null && tokenMatches(expected, presented)) return;
    reply.header('WWW-Authenticate', 'Bearer realm="edge-overlay"');
    throw new ProblemError(
      401,
      ProblemType.Unauthorized,
      presented === null ? 'missing bearer token (Authorization: Bearer <token>)' : 'invalid bearer token',
    );
  });
}
