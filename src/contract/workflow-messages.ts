// Messages of the cluster and host workflows, defined once in this neutral module and imported by workflows,
// activities, the API, the CLI and the agent (STYLE 2.2). Names carry the kind of message.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ClusterOptions } from '../domain/cluster-options.js';
import type { PeerTableSource } from '../domain/peer-source.js';
import type { HostIdentityState } from '../domain/join-token.js';
import type { VipReportSignal } from '../domain/site-vip.js';
import type { ClusterView, DomainEvent, HostRecord, HostSpec, OverlayMode } from '../domain/types.js';

export const clusterWorkflowType = 'clusterWorkflow';
export const hostJoinWorkflowType = 'hostJoinWorkflow';
export const hostWorkflowType = 'hostWorkflow';

/** Start argument of `cluster/<name>`; already validated and defaulted by the API. */
export interface ClusterInput {
  name: string;
  overlayCidr: string;
  vni: number;
  mode: OverlayMode;
  hosts: HostSpec[];
  /** Tunables (heartbeat timeout, continue-as-new threshold, …); defaults in domain/cluster-options. */
  options?: Partial<ClusterOptions>;
}

export interface AddHostsInput {
  hosts: HostSpec[];
}
export interface RemoveHostInput {
  hostId: string;
}
export interface ChangeOverlayInput {
  overlayCidr?: string;
  vni?: number;
  mode?: OverlayMode;
}
export interface UnderlayChangedInput {
  hostId: string;
  underlayIp: string;
  /** The host's report sequence (newest wins). */
  seq?: number;
}
/** Several hosts' changes at once (underlayChangesSignal); at most one entry per host, newest seq. */
export interface UnderlayChangesInput {
  changes: UnderlayChangedInput[];
}
export interface HostHeartbeatInput {
  hostId: string;
  underlayIp?: string;
}

export const addHostsUpdate = defineUpdate<ClusterView, [AddHostsInput]>('addHosts');
export const removeHostUpdate = defineUpdate<ClusterView, [RemoveHostInput]>('removeHost');
/** Always rejected when something would change: overlay CIDR, VNI and mode are immutable (409). */
export const changeOverlayUpdate = defineUpdate<ClusterView, [ChangeOverlayInput]>('changeOverlay');
export const deleteClusterUpdate = defineUpdate<ClusterView, []>('deleteCluster');
export const underlayChangedSignal = defineSignal<[UnderlayChangedInput]>('underlayChanged');
/** Since 'relay-batches-underlay': the relay sends a cluster every host's change that arrived while its
 * previous signal to that cluster was in flight in ONE signal (signals to one workflow are written one at a
 * time: a 20-host renumbering made 20 signals queue for up to 1.5 s). Same effect as one underlayChanged
 * per entry. */
export const underlayChangesSignal = defineSignal<[UnderlayChangesInput]>('underlayChanges');
export const hostHeartbeatSignal = defineSignal<[HostHeartbeatInput]>('hostHeartbeat');
/** The relay forwards a host's site-VIP report (domain/site-vip.ts) to the host's cluster: the host gained or
 * lost the VIP. Handled since 'site-vip-election'; parsed with vipReportSignalSchema, older seqs ignored. */
export const vipReportSignal = defineSignal<[VipReportSignal]>('vipReport');
/** Admission: claims every requested host before it answers (update-with-start from POST /v1/clusters):
 * fails with HostAlreadyInCluster / HostNotRegistered naming the host, ClusterExists for another spec. */
export const admitClusterUpdate = defineUpdate<ClusterView, [ClusterInput]>('admitCluster');
export const clusterStatusQuery = defineQuery<ClusterView>('clusterStatus');
export const clusterEventsQuery = defineQuery<DomainEvent[]>('clusterEvents');
/** The cluster's peering set now (domain/peer-source.ts): the control worker's relay cuts each host's table
 * from it, so peer tables never enter history. ~100 KB at 1000 hosts. */
export const peerTableSourceQuery = defineQuery<PeerTableSource>('peerTableSource');

/** Body of POST /v1/hosts/register; also what the agent sends when its address changes. */
export interface RegisterHostInput {
  hostId: string;
  underlayIp: string;
  underlayIface?: string;
  labels?: Record<string, string>;
}
export interface HostClusterInput {
  cluster: string | null;
  /** When releasing (cluster null): only release if the host still belongs to this cluster. */
  from?: string;
}

/** Start argument of `host/<hostId>`; `record` carries state across continue-as-new. */
export interface HostWorkflowInput {
  hostId: string;
  record?: HostRecord | null;
  /** History length after which the run continues as new (tests use a low one). */
  continueAsNewAfterEvents?: number;
  /** Outstanding join-token digests and the enrolled certificate (src/workflows/host-enrollment.ts). */
  identity?: HostIdentityState;
}

export interface ClaimHostInput {
  cluster: string;
}

/** Registration is an update-with-start on `host/<hostId>`: idempotent, and it returns the record. */
export const registerHostUpdate = defineUpdate<HostRecord, [RegisterHostInput]>('registerHost');
export const setHostClusterSignal = defineSignal<[HostClusterInput]>('setHostCluster');
export const hostRecordQuery = defineQuery<HostRecord>('hostRecord');
/** Atomic membership claim used by the cluster workflow (through a control activity): fails with
 * HostAlreadyInCluster when another cluster holds the host, HostNotRegistered before registration. */
export const claimHostUpdate = defineUpdate<HostRecord, [ClaimHostInput]>('claimHost');

/** v2 (host channel): the agent's underlay report, relayed by the control worker from the host's own
 * topic (so `hostId` is the broker identity, never the payload's word). Applied only when `seq` is newer
 * than the last applied one: reordered, duplicated and delayed reports change nothing. */
export interface UnderlayReportInput {
  hostId: string;
  seq: number;
  underlayIp: string | null;
  underlayIface: string;
  prefixLength?: number;
  /** The control plane's address as the host reaches it (its broker connection's remote address). */
  brokerAddress?: string;
  labels?: Record<string, string>;
}
export const reportUnderlayUpdate = defineUpdate<HostRecord, [UnderlayReportInput]>('reportUnderlay');

/** v2: liveness from the broker (online status on connect, Last Will after the will delay), relayed only on
 * transitions: no history event per heartbeat. `at` is when the control worker saw it (ISO). */
export interface HostPresenceInput {
  hostId: string;
  online: boolean;
  /** The agent's per-boot epoch (online only). */
  epoch?: number;
  at: string;
}
export const hostPresenceSignal = defineSignal<[HostPresenceInput]>('hostPresence');

/** v2 enrollment (src/workflows/host-enrollment.ts). Every message carries the SHA-256 digest of a join
 * token (base64url), never the token, and the certificate's serial and public key, never a private key. */
export interface IssueJoinTokenInput {
  hostId: string;
  tokenHash: string;
  ttlSeconds: number;
}
export interface JoinTokenIssued {
  hostId: string;
  /** ISO time, by the workflow's clock (the one that checks it). */
  expiresAt: string;
}
/** Update-with-start from POST /v1/hosts/join-tokens: a token may be issued before the host registers. */
export const issueJoinTokenUpdate = defineUpdate<JoinTokenIssued, [IssueJoinTokenInput]>('issueJoinToken');

export interface RedeemJoinTokenInput {
  hostId: string;
  tokenHash: string;
  /** Serial (hex) and public key (SPKI DER, base64) of the certificate the API signed for this enrollment. */
  certificateSerial: string;
  publicKey: string;
}
export interface JoinTokenRedeemed {
  /** The certificate this enrollment replaces, for the API to revoke; null on a first enrollment. */
  previousCertificateSerial: string | null;
}
/** Single use even under concurrent enrolls: the validator refuses (JoinTokenRefused) a wrong, used or
 * expired token, or one issued for another host; the handler re-checks and consumes it. */
export const redeemJoinTokenUpdate = defineUpdate<JoinTokenRedeemed, [RedeemJoinTokenInput]>(
  'redeemJoinToken',
);

export interface DeleteHostInput {
  hostId: string;
}
export interface HostDeleted {
  hostId: string;
  /** The certificate to revoke; null when the host never enrolled. */
  certificateSerial: string | null;
}
/** DELETE /v1/hosts/:hostId: refused (HostAlreadyInCluster) while the host belongs to a cluster; otherwise
 * the host leaves the inventory at once and its workflow ends, handing back the serial to revoke. */
export const deleteHostUpdate = defineUpdate<HostDeleted, [DeleteHostInput]>('deleteHost');

/** `edge-overlay hosts reset HOST`: the host's agent tears down every overlay device it has. Refused
 * (HostAlreadyInCluster) while the host belongs to a cluster: remove it from the cluster instead. */
export interface ResetHostInput {
  reason?: string;
}
export interface HostResetOutcome {
  hostId: string;
  at: string;
  changed: boolean;
  removed: string[];
  /** The cluster whose overlay the agent's state file still named. */
  cluster?: string;
}
export const resetHostUpdate = defineUpdate<HostResetOutcome, [ResetHostInput]>('resetHost');
