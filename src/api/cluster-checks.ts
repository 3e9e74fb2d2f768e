// Checks the API makes before a workflow starts or an update is sent, so that a bad request fails
// synchronously with field-level errors and never leaves a workflow behind.
import type { Client } from '@temporalio/client';
import type { HostRecord, HostSpec } from '../domain/types.js';
import { getHostFromMemo } from '../temporal/hosts.js';
import { type FieldError, ProblemError, ProblemType, validationProblem } from './problem.js';
import { cidrOverlapProblems } from './overlay-checks.js';
import type { ClusterInput } from '../contract/workflow-messages.js';

const HOST_LOOKUP_CONCURRENCY = 16;

/**
 * Every host must be registered (400, field errors) and not held by another cluster (409).
 * Returns the records in the order of `hosts`.
 */
export async function checkHostsAvailable(
  client: Client,
  clusterName: string,
  hosts: HostSpec[],
  field = 'hosts',
): Promise<HostRecord[]> {
  const records: Array<HostRecord | null> = [];
  for (let i = 0; i < hosts.length; i += HOST_LOOKUP_CONCURRENCY) {
    const chunk = hosts.slice(i, i + HOST_LOOKUP_CONCURRENCY);
    records.push(...(await Promise.all(chunk.map((h) => getHostFromMemo(client, h.hostId)))));
  }
  const missing: FieldError[] = [];
  hosts.forEach((h, i) => {
    if (!records[i])
      missing.push({ field: `${field}[${i}].hostId`, message: `host ${h.hostId} is not registered` });
  });
  if (missing.length) {
    throw new ProblemError(
      400,
      ProblemType.HostNotRegistered,
      `${missing.length} host(s) are not registered; start their agents first (POST /v1/hosts/register)`,
      missing,
    );
  }
  const held = (records as HostRecord[]).filter((r) => r.cluster !== null && r.cluster !== clusterName);
  if (held.length) {
    throw new ProblemError(
      409,
      ProblemType.HostAlreadyInCluster,
      held.map((r) => `host ${r.hostId} already belongs to cluster ${r.cluster}`).join('; '),
    );
  }
  return records as HostRecord[];
}

/** Overlay CIDR sanity (network address, size for the hosts + VIP, no overlap with known underlays). */
export function checkOverlay(input: ClusterInput, records: HostRecord[]): void {
  const errors = cidrOverlapProblems(input.overlayCidr, input.hosts.length, records);
  if (errors.length) throw validationProblem('invalid overlay configuration', errors);
}
