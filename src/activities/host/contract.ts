// The host activities' signatures: the one contract between workflows (which import it as a type)
// and the agent (which implements it on task queue `host/<hostId>`). Every activity is idempotent.
import type { SiteVipPolicyInput } from '../../domain/site-vip.js';
import type { OverlaySpec, Peer } from '../../domain/types.js';

export interface PreflightResult {
  hostId: string;
  underlayIface: string;
  underlayIp: string | null;
  underlayMtu: number;
  vxlanSupported: boolean;
  udpPortFree: boolean;
  rpFilter: number;
  driver: string | null;
  /** Offloads turned off for VMXNET3 (tx-udp_tnl-segmentation, tx-udp_tnl-csum-segmentation). */
  offloadsDisabled: string[];
  problems: string[];
  /** Since 'preflight-overlay-check', when asked about a spec: every way its overlay CIDR collides with this
   * host's underlay subnet or the control plane's address as this host reaches it. Non-empty: do not join. */
  overlayProblems?: string[];
}

/** Optional: without a spec preflight checks the host alone (the agent's own start, old histories). */
export interface PreflightInput {
  spec?: OverlaySpec;
}

export interface ApplyOverlayInput {
  spec: OverlaySpec;
  /** This host's overlay IP (stable for the host's life in the cluster). */
  overlayIp: string;
}

export interface ApplyOverlayResult {
  changed: boolean;
  vxlanDevice: string;
  bridge: string;
  mac: string;
  mtu: number;
}

export interface SetPeersInput {
  spec: OverlaySpec;
  /** The whole desired peer table (never a delta): the activity diffs against the kernel. */
  peers: Peer[];
  /** v2: per-host table version (workflow time in ms): an older table never overwrites a newer one. */
  version?: number;
  /** Probe every peer's overlay IP once the table is in place (a verify round in one round trip, not two).
   * A flag, not a target list: the table names the peers already, and 200 pushes of 200 targets each made
   * one workflow activation's commands larger than gRPC's 4 MB. */
  probe?: boolean;
  /** Control-plane hosts since 'site-vip-election': the policy of the site's own VIP election (the agent
   * starts, updates or keeps its elector; assignVip/releaseVip are no longer sent). Absent: no election. */
  vip?: SiteVipPolicyInput;
}

export interface SetPeersResult {
  added: number;
  removed: number;
  /** v2: the host already holds a newer table (version) and left it in place. */
  stale?: boolean;
  /** The probe of the table's peers, when asked for and the table was applied. */
  probe?: ProbePeersResult;
  /** peerTableDigest of the table applied: what the host has now. A table sent by reference may be newer
   * than the one the workflow asked for (domain/peer-source.ts); the workflow records this one. */
  digest?: string;
}

export interface VipInput {
  spec: OverlaySpec;
}

export interface VipResult {
  changed: boolean;
}

export interface ProbePeersInput {
  targets: string[];
  /** Probes per target. */
  count?: number;
  timeoutMs?: number;
}

export interface ProbePeersResult {
  reachable: string[];
  unreachable: string[];
  sent: number;
  lost: number;
}

export interface TeardownInput {
  spec: OverlaySpec;
}

/** `edge-overlay hosts reset`: tear down whatever overlay the host has, known to its agent or not. */
export interface ResetInput {
  /** Why (logged by the agent). */
  reason?: string;
}

export interface ResetResult {
  changed: boolean;
  /** Devices deleted (the overlay bridge, vxlan devices), state or no state. */
  removed: string[];
  /** The cluster the agent's state file named, if any (its overlay and VIP were torn down first). */
  cluster?: string;
}

export interface HostActivities {
  preflight(input?: PreflightInput): Promise<PreflightResult>;
  applyOverlay(input: ApplyOverlayInput): Promise<ApplyOverlayResult>;
  setPeers(input: SetPeersInput): Promise<SetPeersResult>;
  assignVip(input: VipInput): Promise<VipResult>;
  releaseVip(input: VipInput): Promise<VipResult>;
  probePeers(input: ProbePeersInput): Promise<ProbePeersResult>;
  teardown(input: TeardownInput): Promise<{ changed: boolean }>;
  reset(input: ResetInput): Promise<ResetResult>;
}
