// The first snapshot of a cluster, built from its (already API-validated) input; re-checked here because
// a workflow must never trust its caller.
import { DEFAULT_MULTICAST_GROUP, MAX_CLUSTER_HOSTS, VXLAN_UDP_PORT } from '../domain/constants.js';
import { overlayCidrProblems, parseCidr } from '../domain/cidr.js';
import { resolveClusterOptions } from '../domain/cluster-options.js';
import { ErrorType } from '../domain/errors.js';
import { createIpam } from '../domain/ipam.js';
import type { OverlaySpec } from '../domain/types.js';
import { clusterNameSchema, hostSpecSchema, overlayModeSchema, vniSchema } from '../domain/validation.js';
import type { ClusterSnapshot } from './cluster-state.js';
import type { ClusterInput } from './definitions.js';
import { fail, parseOrFail } from './validate.js';
import { z } from 'zod';

const clusterInputSchema = z.object({
  name: clusterNameSchema,
  overlayCidr: z.string(),
  vni: vniSchema,
  mode: overlayModeSchema,
  hosts: z.array(hostSpecSchema).max(MAX_CLUSTER_HOSTS),
});

export function initialSnapshot(input: ClusterInput): ClusterSnapshot {
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
  return {
    spec,
    options: resolveClusterOptions(input.options),
    ipam,
    hosts: [],
    vipHolder: null,
    conditions: [],
    events: [],
    nextSeq: 1,
    appliedPeers: {},
    pendingUnderlay: {},
    reconcileFailures: [],
    deleting: false,
    initialized: false,
    phase: 'Provisioning',
  };
}
