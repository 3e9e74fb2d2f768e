// POST /v1/clusters: two clusters whose overlay CIDRs overlap and that share a VNI cannot share an underlay
// L2: their VxLAN frames (same VNI, same UDP port) reach each other's hosts and the overlays merge, with the
// same overlay IPs handed out twice (issue 14, point 2). The API refuses such a create with a 409 naming the
// other cluster unless the body says `force: true` (say, two labs on purpose, or a migration). Best effort:
// it reads running clusters from visibility, so two creates sent at the same instant may both pass.
import type { Client } from '@temporalio/client';
import { cidrsOverlap, parseCidr } from '../domain/cidr.js';
import { clusterStatusQuery, clusterWorkflowType, type ClusterInput } from '../contract/workflow-messages.js';
import { clusterWorkflowId } from '../domain/ids.js';
import type { ClusterView, HostRecord } from '../domain/types.js';
import { type MemberUnderlay, memberUnderlayOf, sharedUnderlay } from '../domain/underlay-overlap.js';
import { getHostFromMemo } from '../temporal/hosts.js';
import { ProblemError, ProblemType } from './problem.js';

const CLUSTER_ID_PREFIX = 'cluster/';
/** A cluster that does not answer in this time is skipped (its worker may be away): a create is not held up. */
const VIEW_WAIT_MS = 3000;
/** Clusters read at once: each is one query, and a host memo read per member of a conflicting one. */
const CONCURRENCY = 8;

export interface OverlayConflict {
  cluster: string;
  overlayCidr: string;
  vni: number;
  ours: MemberUnderlay;
  theirs: MemberUnderlay;
}

/** Throws a 409 problem naming the first running cluster the new one would collide with. */
export async function checkOverlayConflicts(
  client: Client,
  input: ClusterInput,
  records: HostRecord[],
): Promise<void> {
  const conflict = await findOverlayConflict(client, input, records.map(memberUnderlayOf));
  if (!conflict) return;
  const { cluster, overlayCidr, vni, ours, theirs } = conflict;
  throw new ProblemError(
    409,
    ProblemType.OverlayConflict,
    `cluster ${cluster} already uses overlay ${overlayCidr} with VNI ${vni} on the same underlay ` +
      `(host ${ours.hostId} at ${ours.underlayIp} shares a subnet with ${theirs.hostId} at ${theirs.underlayIp} ` +
      `of ${cluster}); choose another overlayCidr or vni, or send "force": true to create it anyway`,
    [
      { field: 'overlayCidr', message: `overlaps ${overlayCidr} of cluster ${cluster} (same VNI ${vni})` },
      { field: 'vni', message: `${vni} is used by cluster ${cluster} on the same underlay` },
    ],
  );
}

export async function findOverlayConflict(
  client: Client,
  input: ClusterInput,
  members: MemberUnderlay[],
): Promise<OverlayConflict | null> {
  const ours = parseCidr(input.overlayCidr);
  const names = await runningClusters(client, input.name);
  for (let i = 0; i < names.length; i += CONCURRENCY) {
    const views = await Promise.all(names.slice(i, i + CONCURRENCY).map((n) => viewOf(client, n)));
    for (const view of views) {
      if (!view || view.vni !== input.vni || !cidrsOverlap(ours, parseCidr(view.overlayCidr))) continue;
      const shared = sharedUnderlay(members, await membersOf(client, view));
      if (shared) return { cluster: view.name, overlayCidr: view.overlayCidr, vni: view.vni, ...shared };
    }
  }
  return null;
}

async function runningClusters(client: Client, except: string): Promise<string[]> {
  const query = `WorkflowType = '${clusterWorkflowType}' AND ExecutionStatus = 'Running'`;
  const names: string[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const name = wf.workflowId.slice(CLUSTER_ID_PREFIX.length);
    if (wf.workflowId.startsWith(CLUSTER_ID_PREFIX) && name !== except) names.push(name);
  }
  return names;
}

/** The cluster's view; null when it finished meanwhile or does not answer (it cannot be told apart). */
async function viewOf(client: Client, name: string): Promise<ClusterView | null> {
  try {
    const query = client.workflow.getHandle(clusterWorkflowId(name)).query(clusterStatusQuery);
    const late = new Promise<null>((resolve) => setTimeout(() => resolve(null), VIEW_WAIT_MS).unref());
    return await Promise.race([query, late]);
  } catch {
    return null;
  }
}

/** The other cluster's members with their subnets from the registry (the view has the address alone). */
async function membersOf(client: Client, view: ClusterView): Promise<MemberUnderlay[]> {
  const out: MemberUnderlay[] = [];
  for (let i = 0; i < view.hosts.length; i += CONCURRENCY) {
    const chunk = view.hosts.slice(i, i + CONCURRENCY);
    const records = await Promise.all(chunk.map((h) => getHostFromMemo(client, h.hostId).catch(() => null)));
    chunk.forEach((h, j) => {
      const r = records[j];
      if (r) out.push(memberUnderlayOf(r));
      else if (h.underlayIp !== null) out.push({ hostId: h.hostId, underlayIp: h.underlayIp });
    });
  }
  return out;
}
