// The first snapshot of a cluster, built from its (already API-validated) input; re-checked here because
// a workflow must never trust its caller.
import { DEFAULT_MULTICAST_GROUP, MAX_CLUSTER_HOSTS, VXLAN_UDP_PORT } from '../domain/constants.js';
import { overlayCidrProblems, parseCidr } from '../domain/cidr.js';
import { resolveClusterOptions } from '../domain/cluster-options.js';
import { ErrorType } from '../domain/errors.js';
import { createIpam } from '../domain/ipam.js';
import type { OverlaySpec } from '../domain/types.js';
import { clusterNameSchema, hostSpecSchema, overlayModeSchema, vniSchema } from '../domain/validation.js';
import { type ClusterSnapshot, ClusterState } from './cluster-state.js';
import type { ClusterInput } from '../contract/workflow-messages.js';
import { fail, parseOrFail } from './validate.js';
import { z } from 'zod';

export const clusterInputSchema = z.object({
  name: clusterNameSchema,
  overlayCidr: z.string().max(18),
  vni: vniSchema,
  mode: overlayModeSchema,
  hosts: z.array(hostSpecSchema).max(MAX_CLUSTER_HOSTS),
  options: z.record(z.string().max(64), z.number().nonnegative()).optional(),
});

/**
 * Since 'control-plane-truth' (`withHosts`) the requested hosts are members from the start, Pending and not
 * yet claimed, so the first query lists them all with their overlay IPs; admission claims them.
 */
export function initialSnapshot(input: ClusterInput, withHosts: boolean): ClusterSnapshot {
  parseOrFail(clusterInputSchema, input);
  const ids = input.hosts.map((h) => h.hostId);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) fail(ErrorType.InvalidInput, `host ${dup} is listed twice`);
  const problems = overlayCidrProblems({ cidr: input.overlayCidr, hostCount: input.hosts.length });
  if (problems.length > 0) fail(ErrorType.InvalidOverlayConfig, problems.join('; '), problems);
  const ipam = createIpam(input.overlayCidr);
  const spec: OverlaySpec = {
    clusterName: input.name,
    overlayCidr: input.overlayCidr,
    prefixLength: parseCidr(input.overlayCidr).prefix,
    vni: input.vni,
    mode: input.mode,
    port: VXLAN_UDP_PORT,
    vip: ipam.vip,
  };
  if (input.mode === 'multicast') spec.group = DEFAULT_MULTICAST_GROUP;
  const snapshot: ClusterSnapshot = {
    spec,
    options: resolveClusterOptions(input.options),
    ipam,
    hosts: [],
    vipHolder: null,
    conditions: [],
    events: [],
    nextSeq: 1,
    appliedDigest: {},
    pendingUnderlay: {},
    reconcileFailures: [],
    deleting: false,
    initialized: false,
    phase: 'Provisioning',
  };
  if (!withHosts) return snapshot;
  const state = new ClusterState(snapshot);
  state.addHosts(
    input.hosts.map((h) => ({ ...h, underlayIp: null, state: 'Pending', lastSeen: null, claimed: false })),
  );
  return snapshot; // changed in place by the state
}
