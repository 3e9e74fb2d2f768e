// /v1/hosts: the registry of edge hosts. Registration is idempotent (update-with-start on host/<id>).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { hostWorkflowId } from '../../domain/ids.js';
import type { HostRecord } from '../../domain/types.js';
import { getHost, listHosts, registerHost } from '../../temporal/hosts.js';
import { deleteHost } from '../../temporal/host-identity.js';
import type { ApiContext } from '../context.js';
import { ProblemError, ProblemType } from '../problem.js';
import {
  hostListSchema,
  hostRecordSchema,
  problemResponses,
  notFoundResponse,
  registerHostBody,
  conflictResponse,
} from '../schemas.js';
import { temporalProblem } from '../temporal-errors.js';
import { requirePki } from '../require-pki.js';
import { hostDeletedSchema, notConfiguredResponse } from '../schemas-enroll.js';
import { ErrorType } from '../../domain/errors.js';
import { ApplicationFailure } from '@temporalio/common';
import { hostIdSchema } from '../../domain/validation.js';
import { z } from 'zod';

const hostNotRegistered = (hostId: string) =>
  new ProblemError(404, ProblemType.HostNotRegistered, `host ${hostId} is not registered`);

export const hostRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    const withLinks = (r: HostRecord) => {
      const workflowId = hostWorkflowId(r.hostId);
      return { ...r, workflowId, uiUrl: ctx.uiUrl(workflowId) };
    };
    const hostOpts = ctx.taskQueue ? { taskQueue: ctx.taskQueue } : {};

    app.post(
      '/hosts/register',
      {
        schema: {
          summary: 'register a host or refresh its underlay address (idempotent; the agent calls this)',
          body: registerHostBody,
          response: { 200: hostRecordSchema, ...problemResponses },
        },
      },
      async (req) => {
        try {
          return withLinks(await ctx.withDeadline(() => registerHost(ctx.client, req.body, hostOpts)));
        } catch (err) {
          throw temporalProblem(err, () => hostNotRegistered(req.body.hostId));
        }
      },
    );

    app.get(
      '/hosts',
      {
        schema: {
          summary: 'registered hosts with their current underlay address, last seen time and cluster',
          response: { 200: hostListSchema, ...problemResponses },
        },
      },
      async () => {
        try {
          return (await ctx.withDeadline(() => listHosts(ctx.client))).map(withLinks);
        } catch (err) {
          throw temporalProblem(err, () => new ProblemError(404, ProblemType.NotFound, 'no hosts'));
        }
      },
    );

    app.get(
      '/hosts/:hostId',
      {
        schema: {
          summary: 'one registered host',
          params: z.strictObject({ hostId: hostIdSchema }),
          response: { 200: hostRecordSchema, 404: notFoundResponse, ...problemResponses },
        },
      },
      async (req) => {
        const { hostId } = req.params;
        let record: HostRecord | null;
        try {
          record = await ctx.withDeadline(() => getHost(ctx.client, hostId));
        } catch (err) {
          throw temporalProblem(err, () => hostNotRegistered(hostId));
        }
        if (!record) throw hostNotRegistered(hostId);
        return withLinks(record);
      },
    );

    app.delete(
      '/hosts/:hostId',
      {
        schema: {
          summary: 'remove a host from the inventory and revoke its certificate (409 while in a cluster)',
          params: z.strictObject({ hostId: hostIdSchema }),
          response: {
            202: hostDeletedSchema,
            404: notFoundResponse,
            409: conflictResponse,
            ...problemResponses,
            503: notConfiguredResponse,
          },
        },
      },
      async (req, reply) => {
        const pki = requirePki(ctx);
        const { hostId } = req.params;
        let serial: string | null;
        try {
          ({ certificateSerial: serial } = await ctx.withDeadline(() => deleteHost(ctx.client, hostId)));
        } catch (err) {
          // A delete racing another one: the loser sees a deleted host, the same 404 as never registered.
          if (err instanceof ApplicationFailure && err.type === ErrorType.HostNotRegistered) {
            throw hostNotRegistered(hostId);
          }
          throw temporalProblem(err, () => hostNotRegistered(hostId));
        }
        if (serial !== null) {
          try {
            await pki.revoke(serial, hostId);
          } catch (err) {
            // The host is gone and its serial is only in this log line now: say so loudly.
            req.log.error({ hostId, serial, err }, 'host deleted but its certificate was NOT revoked');
            throw new ProblemError(
              500,
              ProblemType.Internal,
              `host ${hostId} was deleted but revoking its certificate ${serial} failed; see the API log`,
            );
          }
        }
        req.log.info({ hostId, serial }, 'host deleted');
        const workflowId = hostWorkflowId(hostId);
        return reply.code(202).send({ hostId, workflowId, revokedCertificateSerial: serial });
      },
    );
  };
