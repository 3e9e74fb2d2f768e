// Control activities over the host registry (`host/<hostId>` workflows), through the injected client.
import { randomBytes } from 'node:crypto';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../domain/errors.js';
import { clusterWorkflowId, hostWorkflowId } from '../../domain/ids.js';
import type { HostRecord } from '../../domain/types.js';
import { claimHostUpdate, setHostClusterSignal } from '../../contract/workflow-messages.js';

export type ClaimResult =
  | { hostId: string; ok: true; record: HostRecord }
  | { hostId: string; ok: false; errorType: string; message: string; cluster?: string };

/** Told after a claim or release succeeded (v2: the host learns its cluster over the broker at once,
 * not at its next underlay report). Must not throw; it is called after the fact and never undoes it. */
export type MembershipHook = (hostId: string, cluster: string | null) => void;

export function createHostRegistryActivities(client: Client, onMembership?: MembershipHook) {
  const announce = (hostId: string, cluster: string | null) => {
    try {
      onMembership?.(hostId, cluster);
    } catch {
      // an announcement is an optimisation: the next underlay report carries the same membership
    }
  };

  /** A claim held by a cluster workflow that no longer runs (terminated, crashed) is stale: free it. */
  async function releaseIfStale(hostId: string, owner: string): Promise<boolean> {
    try {
      const d = await client.workflow.getHandle(clusterWorkflowId(owner)).describe();
      if (d.status.name === 'RUNNING') return false;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    await client.workflow
      .getHandle(hostWorkflowId(hostId))
      .signal(setHostClusterSignal, { cluster: null, from: owner });
    announce(hostId, null);
    return true;
  }

  /** v5: the host workflow tells its agent its cluster after a claim or release (retained over the broker). */
  async function announceMembership(input: { hostId: string; cluster: string | null }): Promise<void> {
    announce(input.hostId, input.cluster);
  }

  async function claimOne(cluster: string, hostId: string, retried = false): Promise<ClaimResult> {
    try {
      const handle = client.workflow.getHandle(hostWorkflowId(hostId));
      const record = await handle.executeUpdate(claimHostUpdate, { args: [{ cluster }] });
      announce(hostId, record.cluster ?? cluster);
      return { hostId, ok: true, record };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        return {
          hostId,
          ok: false,
          errorType: ErrorType.HostNotRegistered,
          message: `host ${hostId} is not registered`,
        };
      }
      const owner = staleOwner(err);
      if (!retried && owner !== null && (await releaseIfStale(hostId, owner))) {
        return claimOne(cluster, hostId, true);
      }
      if (
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type
      ) {
        const refusal = { hostId, ok: false as const, errorType: err.cause.type, message: err.cause.message };
        return owner !== null ? { ...refusal, cluster: owner } : refusal;
      }
      throw err; // transport trouble: let the activity retry
    }
  }

  return {
    announceMembership,
    /** Claims each host for `cluster` (atomic per host); business refusals are results, not throws. */
    async claimHosts(cluster: string, hostIds: string[]): Promise<ClaimResult[]> {
      return Promise.all(hostIds.map((id) => claimOne(cluster, id)));
    },

    /** Per-cluster secret for the agents' authenticated underlay beacon (randomness stays out of workflows). */
    async generateBeaconKey(): Promise<string> {
      return randomBytes(32).toString('base64url');
    },
  };
}

/** The owning cluster named by a HostAlreadyInCluster refusal (details[0].cluster), else null. */
function staleOwner(err: unknown): string | null {
  if (!(err instanceof WorkflowUpdateFailedError) || !(err.cause instanceof ApplicationFailure)) return null;
  if (err.cause.type !== ErrorType.HostAlreadyInCluster) return null;
  const detail = err.cause.details?.[0] as { cluster?: unknown } | undefined;
  return typeof detail?.cluster === 'string' ? detail.cluster : null;
}
