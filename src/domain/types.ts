// Plain data shared by workflows, activities, the API and the agent.
export type HostRole = 'control-plane' | 'worker';
export type OverlayMode = 'unicast' | 'multicast';

export interface HostSpec {
  hostId: string;
  role: HostRole;
}

/** What every host of a cluster needs to build its overlay device. Immutable after creation. */
export interface OverlaySpec {
  clusterName: string;
  overlayCidr: string;
  /** Prefix length of overlayCidr, put on scbr-100 together with the host's overlay IP. */
  prefixLength: number;
  vni: number;
  mode: OverlayMode;
  port: number;
  /** Multicast group in multicast mode. */
  group?: string;
  vip: string;
  /**
   * Per-cluster secret (base64url, >= 32 bytes) for the underlay beacon's HMAC-SHA256
   * (src/agent/beacon). Absent: agents do not beacon and rely on the control plane alone.
   */
  beaconKey?: string;
}

export type ClusterPhase = 'Provisioning' | 'Ready' | 'Degraded' | 'Recovering' | 'Deleting';
export type HostState = 'Pending' | 'Joining' | 'Joined' | 'Failed' | 'Lost' | 'Removing';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** One host as GET /v1/clusters/:name shows it. */
export interface HostView {
  hostId: string;
  role: HostRole;
  overlayIp: string;
  underlayIp: string | null;
  state: HostState;
  lastSeen: string | null;
}

/** GET /v1/clusters/:name (DESIGN.md). */
export interface ClusterView {
  name: string;
  phase: ClusterPhase;
  overlayCidr: string;
  vip: string;
  vipHolder: string | null;
  vni: number;
  mode: OverlayMode;
  hosts: HostView[];
  conditions: Condition[];
}

export type DomainEventType =
  | 'ClusterCreated'
  | 'HostJoined'
  | 'HostJoinFailed'
  | 'HostRemoved'
  | 'UnderlayChanged'
  | 'OverlayReconciled'
  | 'VipMoved'
  | 'HostLost'
  | 'HostRecovered'
  | 'PhaseChanged'
  | 'ClusterDeleting'
  | 'ClusterDeleted'
  /** Admission refused a host: claims were given back and the cluster was not created. */
  | 'ClusterRejected'
  /** A host command has run longer than stallAfterMs; the loop goes on without it. */
  | 'HostCommandStalled'
  /** A signal failed validation and was dropped (never stored). */
  | 'MessageRejected'
  /** Site VIP election: a new policy version for the control-plane hosts (voters, eligible). */
  | 'VipPolicyChanged'
  /** Site VIP election: a host that is not the recorded holder reported releasing the VIP (late: its release
   * arrived after another host's claim). */
  | 'VipReleased';

export interface DomainEvent {
  seq: number;
  time: string;
  type: DomainEventType;
  hostId?: string;
  data: Record<string, unknown>;
}

/** One peer as a host sees it: where to send VxLAN frames, and who answers there. */
export interface Peer {
  hostId: string;
  underlayIp: string;
  overlayIp: string;
  /** v2: the sequence of the peer's underlay report this address came from: an agent never replaces an
   * address it learned with a newer sequence (from a beacon or a later table) by an older one. */
  seq?: number;
  /** v2: the peer's public key (SPKI DER, base64): its beacons are verified with it. */
  publicKey?: string;
}

/** Registration record of a host (POST /v1/hosts/register, GET /v1/hosts). */
export interface HostRecord {
  hostId: string;
  underlayIp: string;
  underlayIface?: string;
  labels?: Record<string, string>;
  lastSeen: string;
  cluster: string | null;
  /** v2: the broker's view (online status / Last Will); absent before the host's agent first connected. */
  online?: boolean;
  /** v2: sequence of the last applied underlay report from the host's own agent. */
  underlaySeq?: number;
  /** v2: prefix length of the underlay subnet as the agent reports it. */
  prefixLength?: number;
  /** v2: the control plane's (broker's) address as the host reaches it, from its agent's report. */
  brokerAddress?: string;
  /** v2: the host's public key (SPKI DER, base64) from its enrollment CSR: peers verify its beacons with it. */
  publicKey?: string;
  /** v2: serial (hex) of the host's current certificate; revoked when the host is deleted. */
  certificateSerial?: string;
  /** What was done to the host outside any cluster (`HostReset`), newest last, at most HOST_EVENTS_KEPT. */
  events?: HostEvent[];
}

export interface HostEvent {
  time: string;
  type: 'HostReset';
  data: Record<string, unknown>;
}
