// zod schemas of the HTTP API: the single source for request validation, response serialisation and
// the OpenAPI document. Request bodies are strict: an unknown field is a 400, not silently dropped.
import { z } from 'zod';
import { MAX_CLUSTER_HOSTS } from '../domain/constants.js';
import {
  cidrSchema,
  clusterNameSchema,
  hostIdSchema,
  hostRoleSchema,
  ifaceNameSchema,
  ipv4Schema,
  overlayModeSchema,
  vniSchema,
} from '../domain/validation.js';

export const hostSpecBody = z.strictObject({
  hostId: hostIdSchema,
  role: hostRoleSchema,
});

const uniqueHostIds = (hosts: Array<{ hostId: string }>, ctx: z.RefinementCtx) => {
  const seen = new Map<string, number>();
  hosts.forEach((h, i) => {
    const first = seen.get(h.hostId);
    if (first !== undefined)
      ctx.addIssue({ code: 'custom', path: [i, 'hostId'], message: `duplicate of hosts[${first}].hostId` });
    else seen.set(h.hostId, i);
  });
};

export const hostListBody = z.array(hostSpecBody).min(1).max(MAX_CLUSTER_HOSTS).superRefine(uniqueHostIds);

export const createClusterBody = z
  .strictObject({
    name: clusterNameSchema,
    overlayCidr: cidrSchema.optional(),
    vni: vniSchema.optional(),
    mode: overlayModeSchema.optional(),
    hosts: hostListBody,
    force: z
      .boolean()
      .optional()
      .describe(
        'create even when another cluster already uses an overlapping overlay CIDR with the same VNI on the same underlay subnet (otherwise 409 overlay-conflict naming that cluster); never overrides a 400',
      ),
  })
  .meta({ id: 'CreateClusterRequest' });
export type CreateClusterBody = z.infer<typeof createClusterBody>;

export const addHostsBody = z.strictObject({ hosts: hostListBody }).meta({ id: 'AddHostsRequest' });

export const patchClusterBody = z
  .strictObject({
    overlayCidr: cidrSchema.optional(),
    vni: vniSchema.optional(),
    mode: overlayModeSchema.optional(),
  })
  .meta({
    id: 'PatchClusterRequest',
    description: 'overlay CIDR, VNI and mode are immutable: any change is a 409',
  });

// Labels are metadata only (never reach a command line), still bounded and printable.
export const labelKeySchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/, 'must be letters, digits and . _ / -');
export const labelValueSchema = z
  .string()
  .max(253)
  .regex(/^[\x20-\x7e]*$/, 'must be printable ASCII');

/** First octet ranges no VxLAN peer can be reached at: "this network", loopback, multicast, reserved. */
const unreachableFirstOctet = (ip: string) => {
  const first = Number(ip.split('.')[0]);
  return first === 0 || first === 127 || first >= 224;
};
export const underlayIpSchema = ipv4Schema.refine(
  (ip) => !unreachableFirstOctet(ip),
  'must be a unicast address peers can reach (not 0/8, loopback, multicast or reserved)',
);

export const registerHostBody = z
  .strictObject({
    hostId: hostIdSchema,
    underlayIp: underlayIpSchema,
    underlayIface: ifaceNameSchema.optional(),
    labels: z
      .record(labelKeySchema, labelValueSchema)
      .refine((l) => Object.keys(l).length <= 64, 'at most 64 labels')
      .optional(),
  })
  .meta({ id: 'RegisterHostRequest' });

export const clusterParams = z.strictObject({ name: clusterNameSchema });
export const clusterHostParams = z.strictObject({ name: clusterNameSchema, hostId: hostIdSchema });
export const eventsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional().describe('only events with seq greater than this'),
});

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

// ---- responses ----

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' });

export const acceptedSchema = z
  .object({ name: z.string(), workflowId: z.string(), uiUrl: z.string() })
  .meta({ id: 'Accepted' });

export const conditionSchema = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
});

export const clusterHostSchema = z.object({
  hostId: z.string(),
  role: hostRoleSchema,
  overlayIp: z.string(),
  underlayIp: z.string().nullable(),
  state: z.enum(['Pending', 'Joining', 'Joined', 'Failed', 'Lost', 'Removing']),
  lastSeen: z.string().nullable(),
});

export const clusterViewSchema = z
  .object({
    name: z.string(),
    phase: z.enum(['Provisioning', 'Ready', 'Degraded', 'Recovering', 'Deleting']),
    overlayCidr: z.string(),
    vip: z.string(),
    vipHolder: z.string().nullable(),
    vni: z.number().int(),
    mode: overlayModeSchema,
    hosts: z.array(clusterHostSchema),
    conditions: z.array(conditionSchema),
    workflowId: z.string(),
    uiUrl: z.string(),
  })
  .meta({ id: 'Cluster' });

export const clusterSummarySchema = z.object({
  name: z.string(),
  phase: z.string().nullable(),
  hostCount: z.number().int().nullable(),
  workflowId: z.string(),
  uiUrl: z.string(),
});
export const clusterListSchema = z
  .object({ clusters: z.array(clusterSummarySchema) })
  .meta({ id: 'ClusterList' });

export const domainEventSchema = z.object({
  seq: z.number().int(),
  time: z.string(),
  type: z.string(),
  hostId: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});
export const eventsSchema = z.array(domainEventSchema).meta({ id: 'ClusterEvents' });

export const hostRecordSchema = z
  .object({
    hostId: z.string(),
    underlayIp: z.string(),
    underlayIface: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    lastSeen: z.string(),
    cluster: z.string().nullable(),
    /** v2: the broker's view of the host's agent (absent before it first connected). */
    online: z.boolean().optional(),
    /** v2: prefix length of the underlay subnet as the agent reports it. */
    prefixLength: z.number().optional(),
    /** v2: the control plane's address as the host reaches it (its broker connection's remote address). */
    brokerAddress: z.string().optional(),
    /** What was done to the host outside any cluster (`hosts reset`: HostReset), newest last. */
    events: z
      .array(z.object({ time: z.string(), type: z.string(), data: z.record(z.string(), z.unknown()) }))
      .optional(),
    workflowId: z.string(),
    uiUrl: z.string(),
  })
  .meta({ id: 'Host' });
export const hostListSchema = z.array(hostRecordSchema).meta({ id: 'HostList' });

export const healthSchema = z.object({ status: z.literal('ok') });

/** A problem response as OpenAPI should show it: application/problem+json, with what it means. */
export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

/** Error responses every authenticated route may give. */
export const problemResponses = {
  400: problemResponse('invalid request; `errors` names each bad field'),
  401: problemResponse('missing or invalid bearer token'),
  500: problemResponse('internal error (details only in the API log)'),
  503: problemResponse('Temporal or the control worker did not answer in time'),
};
export const notFoundResponse = problemResponse('no such cluster, host or route');
export const conflictResponse = problemResponse(
  'conflict: name exists with another spec, host in another cluster, immutable overlay field, overlay CIDR + VNI already used by another cluster on the same underlay (create: `force: true` overrides)',
);
