// Control activities over the host registry (`host/<hostId>` workflows), through the injected client.
import { randomBytes } from 'node:crypto';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../domain/errors.js';
import { hostWorkflowId } from '../../domain/ids.js';
import type { HostRecord } from '../../domain/types.js';
import { claimHostUpdate, hostRecordQuery } from '../../workflows/definitions.js';

export type ClaimResult =
  | { hostId: string; ok: true; record: HostRecord }
  | { hostId: string; ok: false; errorType: string; message: string };

export function createHostRegistryActivities(client: Client) {
  async function claimOne(cluster: string, hostId: string): Promise<ClaimResult> {
    try {
      const handle = client.workflow.getHandle(hostWorkflowId(hostId));
      const record = await handle.executeUpdate(claimHostUpdate, { args: [{ cluster }] });
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
      if (
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type
      ) {
        return { hostId, ok: false, errorType: err.cause.type, message: err.cause.message };
      }
      throw err; // transport trouble: let the activity retry
    }
  }

  return {
    /** Claims each host for `cluster` (atomic per host); business refusals are results, not throws. */
    async claimHosts(cluster: string, hostIds: string[]): Promise<ClaimResult[]> {
      return Promise.all(hostIds.map((id) => claimOne(cluster, id)));
    },

    /** Current registry records (null for unknown hosts): underlay IPs and last-seen times. */
    async lookupHosts(hostIds: string[]): Promise<Array<HostRecord | null>> {
      return Promise.all(
        hostIds.map(async (id) => {
          try {
            return await client.workflow.getHandle(hostWorkflowId(id)).query(hostRecordQuery);
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) return null;
            if (err instanceof Error && err.message.includes('is not registered')) return null;
            throw err;
          }
        }),
      );
    },

    /** Per-cluster secret for the agents' authenticated underlay beacon (randomness stays out of workflows). */
    async generateBeaconKey(): Promise<string> {
      return randomBytes(32).toString('base64url');
    },
  };
}
