// zod schemas for every name or address that can reach a command line or a workflow id.
// Pure (no node: imports) so workflows, the API and the agent share them.
import { z } from 'zod';
import { MAX_CLUSTER_HOSTS, MAX_VNI } from './constants.js';
import {
  certificateSerialSchema,
  hostIdentityStateSchema,
  MAX_JOIN_TOKEN_TTL_S,
  publicKeySchema,
  tokenHashSchema,
} from './join-token.js';

/** Host ids become task-queue names, workflow ids, file names and MAC seeds: keep them boring. */
export const hostIdSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be lowercase letters, digits and inner dashes (DNS label)');

export const clusterNameSchema = hostIdSchema;

/** Linux IFNAMSIZ is 16 including the NUL: at most 15 characters, no '/', whitespace or ':'. */
export const ifaceNameSchema = z
  .string()
  .min(1)
  .max(15)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a Linux interface name (letters, digits, . _ -)');

const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4Re = new RegExp(`^${octet}(\\.${octet}){3}$`);
export const ipv4Schema = z.string().regex(ipv4Re, 'must be a dotted-quad IPv4 address');

export const cidrSchema = z
  .string()
  .regex(
    new RegExp(`^${octet}(\\.${octet}){3}/(3[0-2]|[12]?\\d)$`),
    'must be an IPv4 CIDR like 100.64.192.0/24',
  );

export const vniSchema = z.number().int().min(1).max(MAX_VNI);
export const overlayModeSchema = z.enum(['unicast', 'multicast']);
export const hostRoleSchema = z.enum(['control-plane', 'worker']);
export const macSchema = z
  .string()
  .regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, 'must be a lowercase MAC address');

// Message bodies checked by update validators (workflows) and by the API before they reach history.
export const labelsSchema = z.record(z.string().min(1).max(63), z.string().max(253));

export const registerHostInputSchema = z.object({
  hostId: hostIdSchema,
  underlayIp: ipv4Schema,
  underlayIface: ifaceNameSchema.optional(),
  labels: labelsSchema.optional(),
});

export const hostHeartbeatInputSchema = z.object({
  hostId: hostIdSchema,
  underlayIp: ipv4Schema.optional(),
});

export const hostSpecSchema = z.object({ hostId: hostIdSchema, role: hostRoleSchema });

export const addHostsInputSchema = z.object({ hosts: z.array(hostSpecSchema).min(1).max(MAX_CLUSTER_HOSTS) });
export const removeHostInputSchema = z.object({ hostId: hostIdSchema });
export const changeOverlayInputSchema = z.object({
  overlayCidr: cidrSchema.optional(),
  vni: vniSchema.optional(),
  mode: overlayModeSchema.optional(),
});

/** What every host of a cluster builds its overlay from (OverlaySpec); loose: older specs carry beaconKey. */
export const overlaySpecSchema = z
  .looseObject({
    clusterName: clusterNameSchema,
    overlayCidr: cidrSchema,
    prefixLength: z.number().int().min(8).max(30),
    vni: vniSchema,
    mode: overlayModeSchema,
    port: z.number().int().min(1).max(65535),
    group: ipv4Schema.optional(),
    vip: ipv4Schema,
  })
  .refine((s) => s.overlayCidr.endsWith(`/${s.prefixLength}`), {
    message: 'prefixLength must match overlayCidr',
    path: ['prefixLength'],
  });

export const peerSchema = z.object({
  hostId: hostIdSchema,
  underlayIp: ipv4Schema,
  overlayIp: ipv4Schema,
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  publicKey: z
    .string()
    .min(40)
    .max(200)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/)
    .optional(),
});

/** A per-host report sequence (src/contract/host-channel.ts reportSeqSchema). */
const seqSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const underlayChangedInputSchema = z.object({
  hostId: hostIdSchema,
  underlayIp: ipv4Schema,
  /** v2: the host's report sequence, carried into peer tables so agents can order them against beacons. */
  seq: seqSchema.optional(),
});
/** Many hosts' underlay changes in one signal (the relay batches a cluster's while one is in flight). Each
 * entry is parsed on its own with underlayChangedInputSchema: one bad entry costs only itself. */
export const underlayChangesInputSchema = z.object({
  changes: z.array(z.unknown()).min(1).max(MAX_CLUSTER_HOSTS),
});
/** v2: an underlay report relayed from the host's own topic (the host workflow's reportUnderlay update). */
export const underlayReportInputSchema = z.object({
  hostId: hostIdSchema,
  seq: seqSchema,
  underlayIp: ipv4Schema.nullable(),
  underlayIface: ifaceNameSchema,
  prefixLength: z.number().int().min(0).max(32).optional(),
  brokerAddress: ipv4Schema.optional(),
  labels: labelsSchema.optional(),
});
/** v2: a liveness transition seen by the broker, relayed by the control worker. */
export const hostPresenceInputSchema = z.object({
  hostId: hostIdSchema,
  online: z.boolean(),
  epoch: seqSchema.optional(),
  at: z.string().max(40),
});
export const hostClusterInputSchema = z.object({
  cluster: clusterNameSchema.nullable(),
  from: clusterNameSchema.optional(),
});
export const claimHostInputSchema = z.object({ cluster: clusterNameSchema });

/** A host's registration record as its workflow carries it across continue-as-new. */
export const hostRecordSchema = z.object({
  hostId: hostIdSchema,
  underlayIp: ipv4Schema,
  underlayIface: ifaceNameSchema.optional(),
  labels: labelsSchema.optional(),
  lastSeen: z.string().max(40),
  cluster: clusterNameSchema.nullable(),
  online: z.boolean().optional(),
  underlaySeq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  prefixLength: z.number().int().min(0).max(32).optional(),
  brokerAddress: ipv4Schema.optional(),
  publicKey: publicKeySchema.optional(),
  certificateSerial: certificateSerialSchema.optional(),
  events: z
    .array(
      z.object({
        time: z.string().max(40),
        type: z.literal('HostReset'),
        data: z.record(z.string(), z.unknown()),
      }),
    )
    .max(10)
    .optional(),
});
export const hostWorkflowInputSchema = z.object({
  hostId: hostIdSchema,
  record: hostRecordSchema.nullable().optional(),
  continueAsNewAfterEvents: z.number().int().positive().optional(),
  identity: hostIdentityStateSchema.optional(),
});

// Enrollment messages of host/<hostId> (src/workflows/host-enrollment.ts): digests, never tokens or keys.
export const issueJoinTokenInputSchema = z.object({
  hostId: hostIdSchema,
  tokenHash: tokenHashSchema,
  ttlSeconds: z.number().int().min(1).max(MAX_JOIN_TOKEN_TTL_S),
});
export const redeemJoinTokenInputSchema = z.object({
  hostId: hostIdSchema,
  tokenHash: tokenHashSchema,
  certificateSerial: certificateSerialSchema,
  publicKey: publicKeySchema,
});
export const deleteHostInputSchema = z.object({ hostId: hostIdSchema });
