// The host activities as the cluster and join workflows schedule them in v2 (DESIGN.md): on the control
// worker's own task queue, each input naming its host. The control worker publishes the command to that
// host over the broker and completes the activity asynchronously when the host's result arrives
// (src/control). Same activity names as the host's own implementation (src/activities/host/contract.ts),
// so the Web UI reads the same. Type-only for workflows.
import type {
  ApplyOverlayInput,
  ApplyOverlayResult,
  PreflightInput,
  PreflightResult,
  ProbePeersInput,
  ProbePeersResult,
  ResetInput,
  ResetResult,
  SetPeersInput,
  SetPeersResult,
  TeardownInput,
  VipInput,
  VipResult,
} from '../activities/host/contract.js';
import type { PeerTableRef } from '../domain/peer-source.js';
import type { Peer } from '../domain/types.js';

/** A relayed setPeers: the table itself (before 'peer-tables-by-reference') or a reference the relay
 * resolves to the table before it publishes the command (domain/peer-source.ts); the host gets `peers`. */
export type RelaySetPeersInput = Omit<SetPeersInput, 'peers'> &
  ({ peers: Peer[]; peersFrom?: never } | { peers?: never; peersFrom: PeerTableRef });

/** Which host a relayed command goes to; the rest of the input is the host activity's own input. */
export interface Addressed {
  hostId: string;
}

export interface HostRelayActivities {
  preflight(input: Addressed & PreflightInput): Promise<PreflightResult>;
  applyOverlay(input: Addressed & ApplyOverlayInput): Promise<ApplyOverlayResult>;
  setPeers(input: Addressed & RelaySetPeersInput): Promise<SetPeersResult>;
  assignVip(input: Addressed & VipInput): Promise<VipResult>;
  releaseVip(input: Addressed & VipInput): Promise<VipResult>;
  probePeers(input: Addressed & ProbePeersInput): Promise<ProbePeersResult>;
  teardown(input: Addressed & TeardownInput): Promise<{ changed: boolean }>;
  reset(input: Addressed & ResetInput): Promise<ResetResult>;
}
