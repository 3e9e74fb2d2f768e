// POST /v1/hosts/join-tokens (admin): a single-use, expiring token bound to one host id. The token is
// shown once, here; the host workflow stores only its SHA-256 digest.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DEFAULT_JOIN_TOKEN_TTL_S } from '../../domain/join-token.js';
import { issueJoinToken } from '../../temporal/host-identity.js';
import type { ApiContext } from '../context.js';
import { hashJoinToken, newJoinToken } from '../join-token-secret.js';
import { ProblemError, ProblemType } from '../problem.js';
import { requirePki } from '../require-pki.js';
import { joinTokenBody, joinTokenSchema } from '../schemas-enroll.js';
import { problemResponses } from '../schemas.js';
import { temporalProblem } from '../temporal-errors.js';

export const joinTokenRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    const hostOpts = ctx.taskQueue ? { taskQueue: ctx.taskQueue } : {};
    app.post(
      '/hosts/join-tokens',
      {
        schema: {
          summary: 'issue a single-use join token for one host (it may not be registered yet)',
          body: joinTokenBody,
          response: { 201: joinTokenSchema, ...problemResponses },
        },
      },
      async (req, reply) => {
        requirePki(ctx);
        const { hostId } = req.body;
        const token = newJoinToken();
        const input = {
          hostId,
          tokenHash: hashJoinToken(token),
          ttlSeconds: req.body.ttlSeconds ?? DEFAULT_JOIN_TOKEN_TTL_S,
        };
        try {
          const issued = await ctx.withDeadline(() => issueJoinToken(ctx.client, input, hostOpts));
          req.log.info({ hostId, expiresAt: issued.expiresAt }, 'join token issued');
          return reply.code(201).send({ hostId, token, expiresAt: issued.expiresAt });
        } catch (err) {
          throw temporalProblem(
            err,
            () => new ProblemError(404, ProblemType.HostNotRegistered, `host ${hostId} is not known`),
          );
        }
      },
    );
  };
