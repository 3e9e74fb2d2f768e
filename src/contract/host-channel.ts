// The host channel (DESIGN.md v2): every message between the control plane and an agent over the MQTT
// broker, defined once here with zod and imported by the agent, the control worker and the tests.
// Pure (no node: imports). The host a message is about is ALWAYS taken from the topic, never from the
// payload: the broker's ACL confines a host's certificate to its own subtree, so the topic is the identity.
import { z } from 'zod';
import { hostIdSchema, ifaceNameSchema, ipv4Schema } from '../domain/validation.js';

/** Every host's subtree; a host's ACL covers exactly `${HOSTS_TOPIC_ROOT}/<its id>/#`. */
export const HOSTS_TOPIC_ROOT = 'edge-overlay/v1/hosts';

/** Leaves of a host's subtree and who publishes on them. */
export const HOST_TOPIC_LEAVES = {
  /** control → host, QoS 1, into the host's persistent session (delivered after a reconnect). */
  commands: 'commands',
  /** host → control, QoS 1: the outcome of one command. */
  results: 'results',
  /** host → control, QoS 1, retained: the host's underlay address with its per-host sequence. */
  underlay: 'underlay',
  /** host → control, retained: online on connect; the Last Will (with a will delay) publishes offline. */
  status: 'status',
  /** control → host, retained: the cluster the control plane counts the host in (null: none). */
  membership: 'membership',
  /** host → control: a CSR (same key, CN = host id) to renew the certificate before it expires. */
  renew: 'renew',
  /** control → host: the renewed certificate (answer to `renew`). */
  certificate: 'certificate',
  /** host → control, QoS 1, not retained: this host gained or lost the site VIP (domain/site-vip.ts
   * vipReportSchema); queued by the agent while offline and delivered when it is back. */
  vip: 'vip',
} as const;
export type HostTopicLeaf = keyof typeof HOST_TOPIC_LEAVES;

export const hostTopic = (hostId: string, leaf: HostTopicLeaf): string =>
  `${HOSTS_TOPIC_ROOT}/${hostIdSchema.parse(hostId)}/${HOST_TOPIC_LEAVES[leaf]}`;

/** The control plane's subscription for one leaf of every host (`edge-overlay/v1/hosts/+/<leaf>`). */
export const everyHostTopic = (leaf: HostTopicLeaf): string =>
  `${HOSTS_TOPIC_ROOT}/+/${HOST_TOPIC_LEAVES[leaf]}`;

/** Splits a topic into the host it belongs to and its leaf; null for anything else (never throws). */
export function parseHostTopic(topic: string): { hostId: string; leaf: HostTopicLeaf } | null {
  const prefix = `${HOSTS_TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix)) return null;
  const parts = topic.slice(prefix.length).split('/');
  if (parts.length !== 2) return null;
  const [hostId, leafName] = parts as [string, string];
  if (!hostIdSchema.safeParse(hostId).success) return null;
  const leaf = (Object.keys(HOST_TOPIC_LEAVES) as HostTopicLeaf[]).find(
    (k) => HOST_TOPIC_LEAVES[k] === leafName,
  );
  return leaf ? { hostId, leaf } : null;
}

/** The broker identity (certificate CN = MQTT username = client id) of the control worker and the API.
 * It contains a '.', which no host id may contain, so no host can ever enroll under it. */
export const CONTROL_IDENTITY = 'control.edge-overlay';
/** The DNS name every broker server certificate carries; agents verify the broker against it. */
export const BROKER_SERVER_NAME = 'broker.edge-overlay';
export const DEFAULT_BROKER_PORT = 8883;

/** The host commands: one per host activity (src/activities/host/contract.ts), same names. */
export const hostCommandKinds = [
  'preflight',
  'applyOverlay',
  'setPeers',
  'assignVip',
  'releaseVip',
  'probePeers',
  'teardown',
  'reset',
] as const;
export type HostCommandKind = (typeof hostCommandKinds)[number];

const commandIdSchema = z
  .string()
  .min(8)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'must be letters, digits and . _ : -');

/** control → host. `input` is checked by the agent with the activity's own schema before anything runs. */
export const hostCommandSchema = z.object({
  id: commandIdSchema,
  kind: z.enum(hostCommandKinds),
  input: z.unknown(),
  /** Epoch ms after which nobody waits for the result any more (the activity has timed out): skip it. */
  deadline: z.number().int().positive(),
});
export type HostCommand = z.infer<typeof hostCommandSchema>;

export const hostErrorSchema = z.object({
  /** An ErrorType (domain/errors.ts) or the error's name. */
  type: z.string().min(1).max(100),
  message: z.string().max(2000),
  nonRetryable: z.boolean(),
});
export type HostError = z.infer<typeof hostErrorSchema>;

/** host → control: the outcome of the command with this id (only the addressed host can complete it). */
export const hostResultSchema = z.discriminatedUnion('ok', [
  z.object({ id: commandIdSchema, ok: z.literal(true), result: z.unknown() }),
  z.object({ id: commandIdSchema, ok: z.literal(false), error: hostErrorSchema }),
]);
export type HostResult = z.infer<typeof hostResultSchema>;

/** A per-host sequence: strictly increasing over the host's life (persisted by the agent; it starts from
 * the wall clock in ms when the agent has no state, so it still grows after a lost state file). */
export const reportSeqSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** host → control (retained): where the host is on the underlay. Applied only when `seq` is newer. */
export const underlayReportSchema = z.object({
  seq: reportSeqSchema,
  underlayIp: ipv4Schema.nullable(),
  underlayIface: ifaceNameSchema,
  /** Prefix length of the underlay subnet as the agent sees it. */
  prefixLength: z.number().int().min(0).max(32).optional(),
  /** The control plane's (broker's) address as this host reaches it: its MQTT connection's remote address.
   * An overlay CIDR must never contain it (the host would route its control channel into the overlay). */
  brokerAddress: ipv4Schema.optional(),
  labels: z
    .record(z.string().max(63), z.string().max(253))
    .refine((l) => Object.keys(l).length <= 32, 'at most 32 labels')
    .optional(),
});
export type UnderlayReport = z.infer<typeof underlayReportSchema>;

/** host → control (retained). `epoch` changes every time the agent starts (per-boot). */
export const hostStatusSchema = z.discriminatedUnion('online', [
  z.object({ online: z.literal(true), epoch: z.number().int().positive(), agentVersion: z.string().max(64) }),
  z.object({ online: z.literal(false) }),
]);
export type HostStatus = z.infer<typeof hostStatusSchema>;

/** control → host (retained): the cluster the control plane counts the host in. A host that is no longer
 * counted in the cluster of its state file tears that overlay and VIP down. */
export const membershipSchema = z.object({ cluster: hostIdSchema.nullable() });
export type MembershipMessage = z.infer<typeof membershipSchema>;

/** Agent MQTT keepalive: the broker drops a silent agent after 1.5 × this. */
export const AGENT_KEEPALIVE_S = 10;
/** The Last Will (offline) waits this long, so a reconnect after renumbering (session takeover) never
 * shows the host offline at all. */
export const AGENT_WILL_DELAY_S = 10;
/** A persistent session outlives a disconnect by this long: commands queue for a host that is away. */
export const AGENT_SESSION_EXPIRY_S = 7 * 24 * 3600;

/** host → control: renewal request over the host's authenticated session (no join token needed). */
export const renewRequestSchema = z.object({ csr: z.string().min(100).max(8000) });
export type RenewRequest = z.infer<typeof renewRequestSchema>;
/** control → host: the renewed certificate, or why not. */
export const certificateMessageSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), certificate: z.string().min(100).max(8000) }),
  z.object({ ok: z.literal(false), error: z.string().max(500) }),
]);
export type CertificateMessage = z.infer<typeof certificateMessageSchema>;
