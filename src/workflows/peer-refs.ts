// Since 'peer-tables-by-reference' (domain/peer-source.ts): setPeers commands and join children carry a
// reference to the cluster's peering set instead of the table; the control worker's relay cuts the table.
// Only runs that relay host commands make references (a host's own v1 worker could not resolve one); runs
// recorded before the patch replay with tables inline.
import { patched, workflowInfo } from '@temporalio/workflow';
import type { PeerTableRef } from '../domain/peer-source.js';
import { hostRelayInUse } from './activity-options.js';
import type { ClusterState } from './cluster-state.js';

export const PEER_REFS_PATCH = 'peer-tables-by-reference';

/** Decided once per run, when its loop is set up (after the run chose the relay). */
export const usePeerRefs = (): boolean => hostRelayInUse() && patched(PEER_REFS_PATCH);

/** A reference to the peering set as it is now (O(N): once per round or wave, not per host). */
export function peerRefNow(state: ClusterState, only?: 'Joined'): PeerTableRef {
  return {
    workflowId: workflowInfo().workflowId,
    digest: state.peerSource().digest,
    ...(only ? { only } : {}),
  };
}
