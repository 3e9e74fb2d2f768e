// Client-side helpers over `host/<hostId>` workflows, used by the API and the agent.
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CONTROL_TASK_QUEUE } from '../domain/constants.js';
import { ErrorType } from '../domain/errors.js';
import { hostWorkflowId } from '../domain/ids.js';
import type { HostRecord } from '../domain/types.js';
import {
  hostIdSchema,
  hostPresenceInputSchema,
  hostRecordSchema,
  ipv4Schema,
  registerHostInputSchema,
  underlayReportInputSchema,
} from '../domain/validation.js';
import {
  type HostPresenceInput,
  hostHeartbeatSignal,
  hostPresenceSignal,
  hostRecordQuery,
  hostWorkflowType,
  type RegisterHostInput,
  registerHostUpdate,
  reportUnderlayUpdate,
  type UnderlayReportInput,
} from '../contract/workflow-messages.js';

export interface HostClientOptions {
  /** Task queue of the control worker that runs host workflows. */
  taskQueue?: string;
}

function invalid(message: string, issues: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.InvalidInput,
    message,
    nonRetryable: true,
    details: [issues],
  });
}

/** Idempotent update-with-start of `host/<hostId>`. Failures are ApplicationFailure with a domain `type`. */
export async function registerHost(
  client: Client,
  input: RegisterHostInput,
  opts: HostClientOptions = {},
): Promise<HostRecord> {
  const parsed = registerHostInputSchema.safeParse(input);
  if (!parsed.success)
    throw invalid(`invalid host registration: ${parsed.error.message}`, parsed.error.issues);
  const workflowId = hostWorkflowId(parsed.data.hostId);
  const startWorkflowOperation = new WithStartWorkflowOperation(hostWorkflowType, {
    workflowId,
    taskQueue: opts.taskQueue ?? CONTROL_TASK_QUEUE,
    args: [{ hostId: parsed.data.hostId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  try {
    return await client.workflow.executeUpdateWithStart(registerHostUpdate, {
      args: [parsed.data],
      startWorkflowOperation,
    });
  } catch (err) {
    throw unwrapUpdateFailure(err);
  }
}

/** v2: an agent's underlay report (relayed from its own topic): update-with-start of `host/<hostId>`,
 * applied only when its sequence is newer. Returns the host's record (its cluster goes back to the agent). */
export async function reportUnderlay(
  client: Client,
  input: UnderlayReportInput,
  opts: HostClientOptions = {},
): Promise<HostRecord> {
  const parsed = underlayReportInputSchema.safeParse(input);
  if (!parsed.success) throw invalid(`invalid underlay report: ${parsed.error.message}`, parsed.error.issues);
  const startWorkflowOperation = new WithStartWorkflowOperation(hostWorkflowType, {
    workflowId: hostWorkflowId(parsed.data.hostId),
    taskQueue: opts.taskQueue ?? CONTROL_TASK_QUEUE,
    args: [{ hostId: parsed.data.hostId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  try {
    return await client.workflow.executeUpdateWithStart(reportUnderlayUpdate, {
      args: [parsed.data],
      startWorkflowOperation,
    });
  } catch (err) {
    throw unwrapUpdateFailure(err);
  }
}

/** v2: a liveness transition seen by the broker. A host without a workflow is ignored (false). */
export async function reportPresence(client: Client, input: HostPresenceInput): Promise<boolean> {
  const parsed = hostPresenceInputSchema.parse(input);
  try {
    await client.workflow.getHandle(hostWorkflowId(parsed.hostId)).signal(hostPresenceSignal, parsed);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** Signals a heartbeat (and maybe a new underlay address). Throws HostNotRegistered for unknown hosts. */
export async function reportHeartbeat(client: Client, hostId: string, underlayIp?: string): Promise<void> {
  hostIdSchema.parse(hostId);
  if (underlayIp !== undefined) ipv4Schema.parse(underlayIp);
  try {
    await client.workflow
      .getHandle(hostWorkflowId(hostId))
      .signal(hostHeartbeatSignal, underlayIp === undefined ? { hostId } : { hostId, underlayIp });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notRegistered(hostId);
    throw err;
  }
}

/** The current record, or null when the host never registered. */
export async function getHost(client: Client, hostId: string): Promise<HostRecord | null> {
  hostIdSchema.parse(hostId);
  try {
    return await client.workflow.getHandle(hostWorkflowId(hostId)).query(hostRecordQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    if (isHostNotRegisteredQueryFailure(err)) return null;
    throw err;
  }
}

/**
 * The record as the host workflow last published it in its memo (null when the host never registered).
 * Served by the history service without the control worker, so it does not queue behind the workflow's
 * own work: a query waiting behind a burst of claim updates was measured to hang 30 s. For checks whose
 * outcome the workflow re-decides anyway (the create pre-check; admission claims atomically).
 */
export async function getHostFromMemo(client: Client, hostId: string): Promise<HostRecord | null> {
  hostIdSchema.parse(hostId);
  try {
    const { memo, status } = await client.workflow.getHandle(hostWorkflowId(hostId)).describe();
    if (status.name !== 'RUNNING') return null;
    const parsed = hostRecordSchema.safeParse(memo?.record);
    return parsed.success ? (parsed.data as HostRecord) : null;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** Every registered host: running hostWorkflow executions from visibility, each queried for freshness
 * within `queryTimeoutMs` (falls back to the memo, whose lastSeen may be older, when a query cannot be
 * answered in time, e.g. while the control worker restarts). Sorted by hostId. */
export async function listHosts(
  client: Client,
  opts: { queryTimeoutMs?: number } = {},
): Promise<HostRecord[]> {
  const deadline = () => Date.now() + (opts.queryTimeoutMs ?? 2_000);
  const found: Array<{ workflowId: string; memo?: Record<string, unknown> }> = [];
  const query = `WorkflowType = '${hostWorkflowType}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query }))
    found.push({ workflowId: wf.workflowId, memo: wf.memo });
  const records: HostRecord[] = [];
  for (let i = 0; i < found.length; i += 20) {
    const chunk = found.slice(i, i + 20);
    const results = await Promise.all(
      chunk.map(async ({ workflowId, memo }) => {
        try {
          const handle = client.workflow.getHandle(workflowId);
          return await client.connection.withDeadline(deadline(), () => handle.query(hostRecordQuery));
        } catch (err) {
          // The workflow itself says there is no record (deleted while visibility still lists it as
          // running, or only a join token issued): its memo may be older, so it is not consulted.
          if (isHostNotRegisteredQueryFailure(err)) return null;
          return (memo?.record as HostRecord | undefined) ?? null;
        }
      }),
    );
    for (const r of results) if (r) records.push(r);
  }
  return records.sort((a, b) => a.hostId.localeCompare(b.hostId));
}

function notRegistered(hostId: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.HostNotRegistered,
    message: `host ${hostId} is not registered`,
    nonRetryable: true,
  });
}

function isHostNotRegisteredQueryFailure(err: unknown): boolean {
  return err instanceof Error && err.message.includes(`is not registered`);
}

/** Update failures carry the workflow's ApplicationFailure as `cause`: hand that to callers. */
export function unwrapUpdateFailure(err: unknown): unknown {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) return err.cause;
  return err;
}
