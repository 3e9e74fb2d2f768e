// The state of one cluster entity as plain data, and its compact, validated form for continue-as-new.
// The carried form stores one tuple per host (no repeated keys, peer tables only as digests), so a
// 1000-host cluster carries well under 256 KB (test/domain/cluster-snapshot.test.ts measures it).
import { z } from 'zod';
import type { ClusterOptions } from './cluster-options.js';
import { resolveClusterOptions } from './cluster-options.js';
import type { PhaseHistory } from './cluster-status.js';
import type { IpamState } from './ipam.js';
import { peerTableDigest } from './peer-digest.js';
import { type SiteVipSnapshot, siteVipSnapshotSchema } from './site-vip-policy.js';
import type {
  ClusterPhase,
  ClusterView,
  Condition,
  DomainEvent,
  HostView,
  OverlaySpec,
  Peer,
} from './types.js';
import {
  cidrSchema,
  hostIdSchema,
  hostRoleSchema,
  ipv4Schema,
  overlaySpecSchema,
  peerSchema,
} from './validation.js';

export interface HostEntry extends HostView {
  /** Why the host is Failed (error type and message). */
  reason?: string;
  /** The registry granted this cluster the host. Only claimed hosts are ever torn down: an unclaimed one
   * may carry another cluster's overlay (same device names). */
  claimed: boolean;
  /** v2: sequence of the underlay report `underlayIp` came from. */
  underlaySeq?: number;
}

/** Everything one run of the cluster workflow holds. */
export interface ClusterSnapshot {
  spec: OverlaySpec;
  options: ClusterOptions;
  ipam: IpamState;
  hosts: HostEntry[];
  vipHolder: string | null;
  conditions: Condition[];
  events: DomainEvent[];
  nextSeq: number;
  /** hostId → digest of the peer table last pushed successfully (domain/peer-digest). */
  appliedDigest: Record<string, string>;
  /** hostId → newest reported underlay address not yet reconciled (coalesced). */
  pendingUnderlay: Record<string, string>;
  /** v2: hostId → report sequence of its pendingUnderlay address. */
  pendingSeq?: Record<string, number>;
  reconcileFailures: string[];
  deleting: boolean;
  /** False until the initial members are claimed and admitted. */
  initialized: boolean;
  phase: ClusterPhase;
  /** Since 'site-vip-election' (decided when the cluster was created): the hosts elect the VIP holder and
   * this is the policy and the reports. Absent: the control plane assigns the VIP (VipAssigner). */
  siteVip?: SiteVipSnapshot;
  /** Since 'phase-settled' (decided when the cluster was created): what the phase remembers
   * (domain/cluster-status). Absent: the phase rule before it. */
  phaseSettled?: PhaseHistory;
}

/** GET /v1/clusters/:name of a snapshot (copies: the answer never aliases state). */
export function clusterView(s: Readonly<ClusterSnapshot>): ClusterView {
  const { spec } = s;
  return {
    name: spec.clusterName,
    phase: s.phase,
    overlayCidr: spec.overlayCidr,
    vip: spec.vip,
    vipHolder: s.vipHolder,
    vni: spec.vni,
    mode: spec.mode,
    hosts: s.hosts.map(hostView),
    conditions: s.conditions.map((c) => ({ ...c })),
  };
}

/** The fields of a host that GET shows (a copy). */
const hostView = (h: HostView): HostView => ({
  hostId: h.hostId,
  role: h.role,
  overlayIp: h.overlayIp,
  underlayIp: h.underlayIp,
  state: h.state,
  lastSeen: h.lastSeen,
});

const hostStateSchema = z.enum(['Pending', 'Joining', 'Joined', 'Failed', 'Lost', 'Removing']);
const phaseSchema = z.enum(['Provisioning', 'Ready', 'Degraded', 'Recovering', 'Deleting']);
const isoTime = z.string().max(40);
const conditionSchema = z.object({
  type: z.string().max(64),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().max(64),
  message: z.string().max(4096),
  lastTransitionTime: isoTime,
});
const eventSchema = z.object({
  seq: z.number().int().min(1),
  time: isoTime,
  type: z.string().max(64),
  hostId: hostIdSchema.optional(),
  data: z.record(z.string(), z.unknown()),
});
const hostMap = <T extends z.ZodType>(value: T) => z.record(hostIdSchema, value);
const common = {
  spec: overlaySpecSchema,
  options: z.record(z.string(), z.number()),
  vipHolder: hostIdSchema.nullable(),
  conditions: z.array(conditionSchema).max(32),
  events: z.array(eventSchema),
  nextSeq: z.number().int().min(1),
  pendingUnderlay: hostMap(ipv4Schema),
  pendingSeq: hostMap(z.number().int().positive()).optional(),
  reconcileFailures: z.array(hostIdSchema),
  deleting: z.boolean(),
  initialized: z.boolean(),
  phase: phaseSchema,
  siteVip: siteVipSnapshotSchema.optional(),
  // A snapshot carried before the handover fact existed has none: false, as if no release was recorded.
  phaseSettled: z
    .object({ holderSeen: z.boolean(), wasReady: z.boolean(), handover: z.boolean().default(false) })
    .optional(),
};

/** [hostId, role, overlayIp, underlayIp, state, lastSeen, claimed, appliedDigest, reason, underlaySeq?] */
const hostTupleSchema = z.tuple([
  hostIdSchema,
  hostRoleSchema,
  ipv4Schema,
  ipv4Schema.nullable(),
  hostStateSchema,
  isoTime.nullable(),
  z.boolean(),
  z.string().max(40).nullable(),
  z.string().max(4096).nullable(),
  z.number().int().positive().optional(),
]);

/** Continue-as-new input since 'control-plane-truth'. */
export const carriedSnapshotSchema = z.object({
  format: z.literal(2),
  ...common,
  ipam: z.object({ cidr: cidrSchema, vip: ipv4Schema, retired: hostMap(ipv4Schema) }),
  hosts: z.array(hostTupleSchema).max(10_000),
});
export type CarriedSnapshot = z.infer<typeof carriedSnapshotSchema>;

/** Continue-as-new input of runs before it: full objects and full applied peer tables. */
const legacySnapshotSchema = z.looseObject({
  ...common,
  ipam: z.object({
    cidr: cidrSchema,
    vip: ipv4Schema,
    allocations: hostMap(ipv4Schema),
    retired: hostMap(ipv4Schema),
  }),
  hosts: z.array(
    z.looseObject({
      hostId: hostIdSchema,
      role: hostRoleSchema,
      overlayIp: ipv4Schema,
      underlayIp: ipv4Schema.nullable(),
      state: hostStateSchema,
      lastSeen: isoTime.nullable(),
      claimed: z.boolean(),
      reason: z.string().optional(),
    }),
  ),
  appliedPeers: hostMap(z.array(peerSchema)).optional(),
  appliedDigest: hostMap(z.string()).optional(),
});

export function encodeSnapshot(s: Readonly<ClusterSnapshot>): CarriedSnapshot {
  return {
    format: 2,
    spec: { ...s.spec },
    options: { ...s.options },
    ipam: { cidr: s.ipam.cidr, vip: s.ipam.vip, retired: s.ipam.retired },
    hosts: s.hosts.map((h) => [
      h.hostId,
      h.role,
      h.overlayIp,
      h.underlayIp,
      h.state,
      h.lastSeen,
      h.claimed,
      s.appliedDigest[h.hostId] ?? null,
      h.reason ?? null,
      ...(h.underlaySeq !== undefined ? [h.underlaySeq] : []),
    ]) as CarriedSnapshot['hosts'],
    vipHolder: s.vipHolder,
    conditions: s.conditions,
    events: s.events,
    nextSeq: s.nextSeq,
    pendingUnderlay: s.pendingUnderlay,
    ...(s.pendingSeq && Object.keys(s.pendingSeq).length > 0 ? { pendingSeq: s.pendingSeq } : {}),
    reconcileFailures: s.reconcileFailures,
    deleting: s.deleting,
    initialized: s.initialized,
    phase: s.phase,
    ...(s.siteVip ? { siteVip: s.siteVip } : {}),
    ...(s.phaseSettled ? { phaseSettled: { ...s.phaseSettled } } : {}),
  };
}

/** Parses continue-as-new input of either format; throws a ZodError on anything else. */
export function decodeSnapshot(input: unknown): ClusterSnapshot {
  if (typeof input === 'object' && input !== null && (input as { format?: unknown }).format === 2) {
    return fromCarried(carriedSnapshotSchema.parse(input));
  }
  const old = legacySnapshotSchema.parse(input);
  const appliedDigest: Record<string, string> = { ...(old.appliedDigest ?? {}) };
  for (const [hostId, peers] of Object.entries(old.appliedPeers ?? {})) {
    appliedDigest[hostId] = peerTableDigest(peers as Peer[]);
  }
  const hosts = old.hosts.map((h) => {
    const entry: HostEntry = { ...hostView(h), claimed: h.claimed };
    if (h.reason !== undefined) entry.reason = h.reason;
    return entry;
  });
  return { ...base(old), ipam: old.ipam, hosts, appliedDigest };
}

function fromCarried(c: CarriedSnapshot): ClusterSnapshot {
  const hosts: HostEntry[] = [];
  const appliedDigest: Record<string, string> = {};
  const allocations: Record<string, string> = {};
  for (const [
    hostId,
    role,
    overlayIp,
    underlayIp,
    state,
    lastSeen,
    claimed,
    digest,
    reason,
    seq,
  ] of c.hosts) {
    const entry: HostEntry = { hostId, role, overlayIp, underlayIp, state, lastSeen, claimed };
    if (reason !== null) entry.reason = reason;
    if (seq !== undefined) entry.underlaySeq = seq;
    if (digest !== null) appliedDigest[hostId] = digest;
    allocations[hostId] = overlayIp;
    hosts.push(entry);
  }
  return { ...base(c), ipam: { ...c.ipam, allocations }, hosts, appliedDigest };
}

function base(c: z.infer<z.ZodObject<typeof common>>) {
  return {
    spec: c.spec as OverlaySpec,
    options: resolveClusterOptions(c.options),
    vipHolder: c.vipHolder,
    conditions: c.conditions,
    events: c.events as DomainEvent[],
    nextSeq: c.nextSeq,
    pendingUnderlay: c.pendingUnderlay,
    ...(c.pendingSeq ? { pendingSeq: c.pendingSeq } : {}),
    reconcileFailures: c.reconcileFailures,
    deleting: c.deleting,
    initialized: c.initialized,
    phase: c.phase,
    ...(c.siteVip ? { siteVip: c.siteVip } : {}),
    ...(c.phaseSettled ? { phaseSettled: { ...c.phaseSettled } } : {}),
  };
}
