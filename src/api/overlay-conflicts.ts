// POST /v1/clusters: two clusters whose overlay CIDRs overlap and that share a VNI cannot share an underlay
// L2: their VxLAN frames (same VNI, same UDP port) reach each other's hosts and the overlays merge, with the
// same overlay IPs handed out twice (issue 14, point 2). The API refuses such a create with a 409 naming the
// other cluster unless the body says `force: true` (two overlays on one L2 on purpose, a migration).
// Each create leaves its overlay and its members' underlay subnets in the cluster's memo (OVERLAY_MEMO); the
// check reads the running clusters' memos from visibility, so it asks no cluster workflow anything (a cluster
// whose worker is away cannot hold a create up). Best effort: clusters created before this memo existed, and
// hosts added to a cluster after its create, are not seen; two creates at the same instant may both pass.
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { clusterWorkflowType, type ClusterInput } from '../contract/workflow-messages.js';
import { cidrsOverlap, formatCidr, parseCidr } from '../domain/cidr.js';
import type { HostRecord } from '../domain/types.js';
import {
  type MemberUnderlay,
  memberSubnet,
  memberUnderlayOf,
  sharedUnderlay,
} from '../domain/underlay-overlap.js';
import { cidrSchema, vniSchema } from '../domain/validation.js';
import { ProblemError, ProblemType } from './problem.js';

/** Memo key on `cluster/<name>`: the overlay and the members' underlay subnets at creation. */
export const OVERLAY_MEMO = 'overlay';
const CLUSTER_ID_PREFIX = 'cluster/';
/** Enough for any site layout; a create with more distinct subnets records the first ones. */
const MAX_SUBNETS = 64;

const overlayMemoSchema = z.object({
  overlayCidr: cidrSchema,
  vni: vniSchema,
  underlaySubnets: z.array(cidrSchema).max(MAX_SUBNETS),
});
export type OverlayMemo = z.infer<typeof overlayMemoSchema>;

/** The memo a create leaves: only subnets the agents reported (an address alone proves no shared L2). */
export function overlayMemo(input: ClusterInput, records: HostRecord[]): OverlayMemo {
  const subnets = new Set<string>();
  for (const r of records) {
    const subnet = r.prefixLength === undefined ? null : memberSubnet(memberUnderlayOf(r));
    if (subnet && subnets.size < MAX_SUBNETS) subnets.add(formatCidr(subnet));
  }
  return { overlayCidr: input.overlayCidr, vni: input.vni, underlaySubnets: [...subnets].sort() };
}

export interface OverlayConflict {
  cluster: string;
  overlayCidr: string;
  vni: number;
  host: MemberUnderlay;
  subnet: string;
}

/** Throws a 409 problem naming the first running cluster the new one would collide with. */
export async function checkOverlayConflicts(
  client: Client,
  input: ClusterInput,
  records: HostRecord[],
): Promise<void> {
  const conflict = await findOverlayConflict(client, input, records.map(memberUnderlayOf));
  if (!conflict) return;
  const { cluster, overlayCidr, vni, host, subnet } = conflict;
  throw new ProblemError(
    409,
    ProblemType.OverlayConflict,
    `cluster ${cluster} already uses overlay ${overlayCidr} with VNI ${vni} on the same underlay ` +
      `(host ${host.hostId} at ${host.underlayIp} shares the subnet ${subnet} with it); choose another ` +
      `overlayCidr or vni, or send "force": true to create it anyway`,
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
  const query = `WorkflowType = '${clusterWorkflowType}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query })) {
    const name = wf.workflowId.slice(CLUSTER_ID_PREFIX.length);
    if (!wf.workflowId.startsWith(CLUSTER_ID_PREFIX) || name === input.name) continue;
    const memo = overlayMemoSchema.safeParse(wf.memo?.[OVERLAY_MEMO]);
    if (!memo.success) continue; // created before the memo existed
    const { overlayCidr, vni, underlaySubnets } = memo.data;
    if (vni !== input.vni || !cidrsOverlap(ours, parseCidr(overlayCidr))) continue;
    const theirs = underlaySubnets.map((s) => {
      const [network, prefix] = s.split('/') as [string, string];
      return { hostId: s, underlayIp: network, prefixLength: Number(prefix) };
    });
    const shared = sharedUnderlay(members, theirs);
    if (shared) return { cluster: name, overlayCidr, vni, host: shared.ours, subnet: shared.theirs.hostId };
  }
  return null;
}
