// Client side of a host's identity messages on `host/<hostId>` (src/workflows/host-enrollment.ts):
// issuing and redeeming join tokens by their digest, and deleting the host. Failures are the workflow's
// ApplicationFailure (type JoinTokenRefused, HostAlreadyInCluster, …) or WorkflowNotFoundError.
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import { CONTROL_TASK_QUEUE } from '../domain/constants.js';
import { hostWorkflowId } from '../domain/ids.js';
import {
  deleteHostUpdate,
  type HostDeleted,
  type HostResetOutcome,
  resetHostUpdate,
  hostWorkflowType,
  type IssueJoinTokenInput,
  issueJoinTokenUpdate,
  type JoinTokenIssued,
  type JoinTokenRedeemed,
  type RedeemJoinTokenInput,
  redeemJoinTokenUpdate,
} from '../contract/workflow-messages.js';
import { type HostClientOptions, unwrapUpdateFailure } from './hosts.js';

async function unwrapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw unwrapUpdateFailure(err);
  }
}

/** Update-with-start: a token may be issued for a host that has not registered yet. */
export function issueJoinToken(
  client: Client,
  input: IssueJoinTokenInput,
  opts: HostClientOptions = {},
): Promise<JoinTokenIssued> {
  const startWorkflowOperation = new WithStartWorkflowOperation(hostWorkflowType, {
    workflowId: hostWorkflowId(input.hostId),
    taskQueue: opts.taskQueue ?? CONTROL_TASK_QUEUE,
    args: [{ hostId: input.hostId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return unwrapped(() =>
    client.workflow.executeUpdateWithStart(issueJoinTokenUpdate, { args: [input], startWorkflowOperation }),
  );
}

/** Consumes the token (single use) and records the certificate; never starts a workflow. */
export function redeemJoinToken(client: Client, input: RedeemJoinTokenInput): Promise<JoinTokenRedeemed> {
  const handle = client.workflow.getHandle(hostWorkflowId(input.hostId));
  return unwrapped(() => handle.executeUpdate(redeemJoinTokenUpdate, { args: [input] }));
}

/** Has the host's agent tear down every overlay device (a host in no cluster only). */
export function resetHost(client: Client, hostId: string, reason?: string): Promise<HostResetOutcome> {
  const handle = client.workflow.getHandle(hostWorkflowId(hostId));
  return unwrapped(() => handle.executeUpdate(resetHostUpdate, { args: [reason ? { reason } : {}] }));
}

/** Removes the host from the inventory and ends its workflow; hands back the serial to revoke. */
export function deleteHost(client: Client, hostId: string): Promise<HostDeleted> {
  const handle = client.workflow.getHandle(hostWorkflowId(hostId));
  return unwrapped(() => handle.executeUpdate(deleteHostUpdate, { args: [{ hostId }] }));
}
