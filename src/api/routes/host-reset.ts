// POST /v1/hosts/:hostId/reset (`edge-overlay hosts reset HOST`): the host's agent tears down every overlay
// device it has, known to its state file or not. For a stranded host in no cluster (a failed join, a lost
// state file); a cluster member is removed from its cluster instead (409).
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorType } from '../../domain/errors.js';
import { hostIdSchema } from '../../domain/validation.js';
import { resetHost } from '../../temporal/host-identity.js';
import type { ApiContext } from '../context.js';
import { ProblemError, ProblemType } from '../problem.js';
import { conflictResponse, notFoundResponse, problemResponse, problemResponses } from '../schemas.js';
import { temporalProblem } from '../temporal-errors.js';

const hostResetSchema = z
  .object({
    hostId: z.string(),
    at: z.string(),
    changed: z.boolean(),
    removed: z.array(z.string()),
    cluster: z.string().optional(),
  })
  .meta({ id: 'HostReset' });

export const hostResetRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/hosts/:hostId/reset',
      {
        schema: {
          summary:
            'tear down every overlay device on a host in no cluster, through its agent (recorded on the host)',
          params: z.strictObject({ hostId: hostIdSchema }),
          body: z.strictObject({ reason: z.string().max(200).optional() }).optional(),
          response: {
            200: hostResetSchema,
            404: notFoundResponse,
            409: conflictResponse,
            ...problemResponses,
            503: problemResponse(
              "the host's agent did not answer (not running or not connected), or Temporal did not",
            ),
          },
        },
      },
      async (req) => {
        const { hostId } = req.params;
        const notRegistered = () =>
          new ProblemError(404, ProblemType.HostNotRegistered, `host ${hostId} is not registered`);
        try {
          return await ctx.withDeadline(() => resetHost(ctx.client, hostId, req.body?.reason));
        } catch (err) {
          if (err instanceof ApplicationFailure && err.type === ErrorType.HostNotRegistered)
            throw notRegistered();
          throw temporalProblem(err, notRegistered);
        }
      },
    );
  };
