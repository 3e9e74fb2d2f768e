// POST /v1/clusters: start-or-attach. The same body (or a retry under the same Idempotency-Key)
// gets the same 202; a different body under an existing name is a 409.
import { creationSummary } from '../domain/cluster-details.js';
import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { DEFAULT_OVERLAY_CIDR, DEFAULT_VNI } from '../domain/constants.js';
import { clusterWorkflowId } from '../domain/ids.js';
import type { ClusterView } from '../domain/types.js';
import { CLUSTER_TASK_QUEUE } from '../domain/task-queues.js';
import { admitClusterUpdate, type ClusterInput, clusterWorkflowType } from '../contract/workflow-messages.js';
import { ClusterNameAttr, ClusterPhaseAttr, HostCountAttr } from '../temporal/search-attributes.js';
import { checkHostsAvailable, checkOverlay } from './cluster-checks.js';
import { checkOverlayConflicts, OVERLAY_MEMO, overlayMemo } from './overlay-conflicts.js';
import { ProblemError, ProblemType } from './problem.js';
import type { NoAnswerInTimeProblem } from './temporal-errors.js';
import type { CreateClusterBody } from './schemas.js';

/** Memo keys on `cluster/<name>` that make creation idempotent. */
export const CREATE_FINGERPRINT_MEMO = 'createRequestSha256';
export const IDEMPOTENCY_KEY_MEMO = 'idempotencyKey';

export function normalizeCreate(body: CreateClusterBody): ClusterInput {
  return {
    name: body.name,
    overlayCidr: body.overlayCidr ?? DEFAULT_OVERLAY_CIDR,
    vni: body.vni ?? DEFAULT_VNI,
    mode: body.mode ?? 'unicast',
    hosts: body.hosts.map((h) => ({ hostId: h.hostId, role: h.role })),
  };
}

/** Stable over key order and defaults: two bodies that mean the same cluster hash the same. */
export function createFingerprint(input: ClusterInput): string {
  const canonical = JSON.stringify([
    input.name,
    input.overlayCidr,
    input.vni,
    input.mode,
    input.hosts.map((h) => [h.hostId, h.role]),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

interface Existing {
  running: boolean;
  fingerprint: unknown;
  idempotencyKey: unknown;
}

async function describeExisting(client: Client, workflowId: string): Promise<Existing | null> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    const memo = d.memo ?? {};
    return {
      running: d.status.name === 'RUNNING',
      fingerprint: memo[CREATE_FINGERPRINT_MEMO],
      idempotencyKey: memo[IDEMPOTENCY_KEY_MEMO],
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

export type CreateOutcome = 'started' | 'attached';

/** Decides about an existing execution: attach (same request), conflict, or null to start anew. */
function attachOrConflict(
  existing: Existing | null,
  name: string,
  fingerprint: string,
  idempotencyKey: string | undefined,
): CreateOutcome | null {
  if (!existing) return null;
  const sameBody = existing.fingerprint === fingerprint;
  const sameKey = idempotencyKey !== undefined && existing.idempotencyKey === idempotencyKey;
  if (existing.running) {
    if (sameBody) return 'attached';
    throw new ProblemError(
      409,
      ProblemType.ClusterExists,
      sameKey
        ? `Idempotency-Key was already used to create cluster ${name} with a different body`
        : `cluster ${name} already exists with a different spec`,
    );
  }
  // A finished (deleted) cluster may be created again, unless this is a retry of the request that made it.
  return sameKey && sameBody ? 'attached' : null;
}

/** Claiming costs one workflow update per host (~36 ms each, measured: 1000 hosts admitted after 35.8 s on
 * the dev server), so a large create waits this much longer than the API's usual Temporal deadline before
 * it answers 503: 1000 hosts get 15 + 50 s. */
const ADMISSION_MS_PER_HOST = 50;
export const admissionExtraMs = (hosts: number): number => hosts * ADMISSION_MS_PER_HOST;

/** What a 503 to a create asks the client to wait before it sends the same request again (Retry-After). */
export const CREATE_RETRY_AFTER_S = 2;

/** A create that ran out of time is not a failed create: update-with-start may have started the workflow,
 * which then admits the cluster after this answer (bench:api at 1 000 x 3: 295 of 433 creates answered 503
 * became Ready). The same request again attaches to that run and answers with its admission (202 or 409),
 * so retrying is safe and the only way to learn the outcome. */
export function createPending(name: string, cause: NoAnswerInTimeProblem): ProblemError {
  return new ProblemError(
    503,
    ProblemType.Unavailable,
    `cluster ${name} was not confirmed in time (${cause.problem.detail}); it may still be created: ` +
      'send the same request again (same body, or the same Idempotency-Key) to get its outcome',
  );
}

export interface CreateClusterDeps {
  client: Client;
  /** The one queue of a single-Worker setup (tests). Without it a cluster starts on CLUSTER_TASK_QUEUE,
   * served by the control worker's cluster Worker (src/worker.ts). */
  taskQueue?: string | undefined;
}

export async function createCluster(
  deps: CreateClusterDeps,
  body: CreateClusterBody,
  idempotencyKey: string | undefined,
): Promise<{ workflowId: string; outcome: CreateOutcome; view?: ClusterView }> {
  const input = normalizeCreate(body);
  checkOverlay(input, []);
  const workflowId = clusterWorkflowId(input.name);
  const fingerprint = createFingerprint(input);

  const existing = await describeExisting(deps.client, workflowId);
  const before = attachOrConflict(existing, input.name, fingerprint, idempotencyKey);
  if (before === 'attached' && existing?.running) {
    // The same request again: answer with its admission (it may still be claiming, or have been refused).
    const view = await deps.client.workflow
      .getHandle(workflowId)
      .executeUpdate(admitClusterUpdate, { args: [input] });
    return { workflowId, outcome: 'attached', view };
  }
  if (before) return { workflowId, outcome: before };

  const records = await checkHostsAvailable(deps.client, input.name, input.hosts);
  checkOverlay(input, records);
  if (body.force !== true) await checkOverlayConflicts(deps.client, input, records);

  // Update-with-start: the workflow claims every host before this answers, so of concurrent creates that
  // share a host exactly one gets 202 (the others a 409 naming the host). A concurrent create of the same
  // name attaches to the running workflow; its admission update is refused if the spec differs.
  const startWorkflowOperation = new WithStartWorkflowOperation(clusterWorkflowType, {
    workflowId,
    taskQueue: deps.taskQueue ?? CLUSTER_TASK_QUEUE,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [input],
    // The Web UI's "User Metadata" summary; the workflow keeps its current details up to date itself.
    staticSummary: creationSummary(input),
    memo: {
      [CREATE_FINGERPRINT_MEMO]: fingerprint,
      [OVERLAY_MEMO]: overlayMemo(input, records),
      ...(idempotencyKey ? { [IDEMPOTENCY_KEY_MEMO]: idempotencyKey } : {}),
    },
    typedSearchAttributes: new TypedSearchAttributes([
      { key: ClusterNameAttr, value: input.name },
      { key: ClusterPhaseAttr, value: 'Provisioning' },
      { key: HostCountAttr, value: input.hosts.length },
    ]),
  });
  // The admitted cluster's view lists every requested host: the first GET can answer with it at once.
  const view = await deps.client.workflow.executeUpdateWithStart(admitClusterUpdate, {
    args: [input],
    startWorkflowOperation,
  });
  return { workflowId, outcome: 'started', view };
}
