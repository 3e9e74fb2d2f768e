// /v1/clusters: create (start-or-attach), read, change membership, delete. Changes go through
// workflow updates, so the workflow's own validation comes back synchronously as 400/404/409.
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { QUERY_HEDGE, hedged } from '../../clients/temporal/hedged.js';
import { clusterWorkflowId } from '../../domain/ids.js';
import type { ClusterView } from '../../domain/types.js';
import {
  addHostsUpdate,
  clusterEventsQuery,
  changeOverlayUpdate,
  deleteClusterUpdate,
  removeHostUpdate,
} from '../../contract/workflow-messages.js';
import { checkHostsAvailable } from '../cluster-checks.js';
import { admissionExtraMs, CREATE_RETRY_AFTER_S, createCluster, createPending } from '../cluster-create.js';
import { createClusterViews } from '../cluster-views.js';
import { listClusters } from '../cluster-list.js';
import type { ApiContext } from '../context.js';
import { ProblemError, ProblemType, validationProblem } from '../problem.js';
import {
  acceptedSchema,
  addHostsBody,
  clusterHostParams,
  clusterListSchema,
  clusterParams,
  clusterViewSchema,
  createClusterBody,
  eventsQuery,
  eventsSchema,
  idempotencyKeySchema,
  patchClusterBody,
  problemResponse,
  problemResponses,
  notFoundResponse,
  conflictResponse,
} from '../schemas.js';
import { NoAnswerInTimeProblem, temporalProblem } from '../temporal-errors.js';

const notFound = (name: string) => () =>
  new ProblemError(404, ProblemType.ClusterNotFound, `cluster ${name} does not exist`);

const withConflicts = { 404: notFoundResponse, 409: conflictResponse, ...problemResponses };

export const clusterRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    const accepted = (name: string) => {
      const workflowId = clusterWorkflowId(name);
      return { name, workflowId, uiUrl: ctx.uiUrl(workflowId) };
    };
    const handle = (name: string) => ctx.client.workflow.getHandle(clusterWorkflowId(name));
    const withLinks = (view: ClusterView) => ({ ...view, ...accepted(view.name) });

    /** Runs a Temporal call for cluster `name`, turning its failures into problems. */
    async function onCluster<T>(name: string, call: () => Promise<T>, extraMs = 0): Promise<T> {
      try {
        return await ctx.withDeadline(call, extraMs);
      } catch (err) {
        throw temporalProblem(err, notFound(name));
      }
    }

    // Kept per app: the last view of each cluster and the queries in flight (src/api/cluster-views.ts).
    const views = createClusterViews(ctx.client);

    /** The live view; a finished (deleted) cluster is gone. A view remembered rather than just read says
     * how old it is (HTTP Age, whole seconds). */
    const liveView = async (name: string, reply?: FastifyReply) => {
      const answer = await onCluster(name, () => views.read(name));
      if (!answer) throw notFound(name)();
      if (answer.ageMs > 0) reply?.header('Age', String(Math.floor(answer.ageMs / 1000)));
      return withLinks(answer.view);
    };

    app.post(
      '/clusters',
      {
        schema: {
          summary: 'create a cluster (idempotent for the same body; honours Idempotency-Key)',
          body: createClusterBody,
          response: {
            202: acceptedSchema,
            ...withConflicts,
            503: problemResponse(
              'not confirmed in time, and may still happen: send the same request again after Retry-After seconds to get its outcome',
            ),
          },
        },
      },
      async (req, reply) => {
        const rawKey = req.headers['idempotency-key'];
        let key: string | undefined;
        if (rawKey !== undefined) {
          const parsed = idempotencyKeySchema.safeParse(rawKey);
          if (!parsed.success) {
            throw validationProblem('invalid Idempotency-Key header', [
              { field: 'Idempotency-Key', message: parsed.error.issues[0]?.message ?? 'invalid' },
            ]);
          }
          key = parsed.data;
        }
        const { outcome, view } = await onCluster(
          req.body.name,
          () => createCluster({ client: ctx.client, taskQueue: ctx.taskQueue }, req.body, key),
          admissionExtraMs(req.body.hosts.length),
        ).catch((err: unknown) => {
          // The create may have started and be admitted after this answer: say so, and when to ask again.
          if (!(err instanceof NoAnswerInTimeProblem)) throw err;
          reply.header('Retry-After', String(CREATE_RETRY_AFTER_S));
          throw createPending(req.body.name, err);
        });
        if (view) views.remember(view);
        req.log.info({ cluster: req.body.name, outcome }, 'create cluster');
        reply.header('Location', `/v1/clusters/${req.body.name}`);
        return reply.code(202).send(accepted(req.body.name));
      },
    );

    app.get(
      '/clusters',
      {
        schema: {
          summary: 'running clusters (from visibility)',
          response: { 200: clusterListSchema, ...problemResponses },
        },
      },
      async () => ({ clusters: await onCluster('*', () => listClusters(ctx)) }),
    );

    app.get(
      '/clusters/:name',
      {
        schema: {
          summary: 'cluster status: phase, VIP, hosts, conditions',
          params: clusterParams,
          response: { 200: clusterViewSchema, 404: notFoundResponse, ...problemResponses },
        },
      },
      async (req, reply) => liveView(req.params.name, reply),
    );

    app.patch(
      '/clusters/:name',
      {
        schema: {
          summary: 'overlay CIDR, VNI and mode are immutable: a change is a 409; the same values are a no-op',
          params: clusterParams,
          body: patchClusterBody,
          response: { 200: clusterViewSchema, ...withConflicts },
        },
      },
      async (req, reply) => {
        const { name } = req.params;
        if (Object.keys(req.body).length === 0) return liveView(name, reply);
        return withLinks(
          await onCluster(name, () => handle(name).executeUpdate(changeOverlayUpdate, { args: [req.body] })),
        );
      },
    );

    app.delete(
      '/clusters/:name',
      {
        schema: {
          summary: 'delete a cluster: tears the overlay down on every host',
          params: clusterParams,
          response: { 202: acceptedSchema, ...withConflicts },
        },
      },
      async (req, reply) => {
        const { name } = req.params;
        await onCluster(name, async () => {
          const h = handle(name);
          if ((await h.describe()).status.name !== 'RUNNING') throw notFound(name)();
          try {
            views.remember(await h.executeUpdate(deleteClusterUpdate));
          } catch (err) {
            // Deleting twice is the same request: the first one is still tearing down.
            const problem = temporalProblem(err, notFound(name));
            if (problem.problem.type !== ProblemType.ClusterDeleting) throw problem;
          }
        });
        return reply.code(202).send(accepted(name));
      },
    );

    app.post(
      '/clusters/:name/hosts',
      {
        schema: {
          summary: 'add hosts to a cluster',
          params: clusterParams,
          body: addHostsBody,
          response: { 202: acceptedSchema, ...withConflicts },
        },
      },
      async (req, reply) => {
        const { name } = req.params;
        await onCluster(name, async () => {
          await handle(name).describe();
          await checkHostsAvailable(ctx.client, name, req.body.hosts);
          views.remember(
            await handle(name).executeUpdate(addHostsUpdate, { args: [{ hosts: req.body.hosts }] }),
          );
        });
        return reply.code(202).send(accepted(name));
      },
    );

    app.delete(
      '/clusters/:name/hosts/:hostId',
      {
        schema: {
          summary: 'remove a host from a cluster (tears its overlay down)',
          params: clusterHostParams,
          response: { 202: acceptedSchema, ...withConflicts },
        },
      },
      async (req, reply) => {
        const { name, hostId } = req.params;
        views.remember(
          await onCluster(name, () => handle(name).executeUpdate(removeHostUpdate, { args: [{ hostId }] })),
        );
        return reply.code(202).send(accepted(name));
      },
    );

    app.get(
      '/clusters/:name/events',
      {
        schema: {
          summary: 'ordered domain events of the cluster',
          params: clusterParams,
          querystring: eventsQuery,
          response: { 200: eventsSchema, 404: notFoundResponse, ...problemResponses },
        },
      },
      async (req) => {
        const { name } = req.params;
        const events = await onCluster(name, () =>
          hedged(() => handle(name).query(clusterEventsQuery), QUERY_HEDGE),
        );
        const after = req.query.after;
        return after === undefined ? events : events.filter((e) => e.seq > after);
      },
    );
  };
