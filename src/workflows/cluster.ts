// `cluster/<name>`: the entity that owns one cluster. This file wires messages and picks the loop; state is
// in cluster-state, the current loop in cluster-loop (nothing in it awaits a host), the loop of histories
// recorded before 'control-plane-truth' in cluster-loop-v3, pure logic in src/domain.
import {
  patched,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { clusterDetails } from '../domain/cluster-details.js';
import { decodeSnapshot } from '../domain/cluster-snapshot.js';
import { newPhaseHistory } from '../domain/cluster-status.js';
import { ErrorType } from '../domain/errors.js';
import type { ClusterView } from '../domain/types.js';
import { ClusterNameAttr, ClusterPhaseAttr, HostCountAttr } from '../temporal/search-attributes.js';
import {
  type ClusterInput,
  clusterEventsQuery,
  clusterStatusQuery,
  peerTableSourceQuery,
} from '../contract/workflow-messages.js';
import {
  CLUSTER_QUEUE_PATCH,
  HOST_CHANNEL_PATCH,
  sendHostWorkToControlQueue,
  useHostRelay,
} from './activity-options.js';
import { Admission } from './admission.js';
import { registerMessageHandlers } from './cluster-handlers.js';
import { clusterInputSchema, initialSnapshot } from './cluster-init.js';
import { runClusterLoop } from './cluster-loop.js';
import { runClusterLoopV3 } from './cluster-loop-v3.js';
import { ClusterState } from './cluster-state.js';
import { initialSiteVip, SITE_VIP_PATCH, SiteVipState } from './site-vip-state.js';
import { fail, parseOrFail } from './validate.js';

/** v4: atomic admission, background host commands, digests instead of peer tables, validated messages. */
export const CONTROL_PLANE_TRUTH_PATCH = 'control-plane-truth';
/** v10: the first election and a planned handover of the VIP (the holder released it as Outranked,
 * NotEligible or Stopped) are not Degraded, and an add no longer flips a Ready cluster
 * (domain/cluster-status computePhase). The phase goes into search attributes and memo: a command. */
export const PHASE_SETTLED_PATCH = 'phase-settled';

export interface LoopContext {
  input: ClusterInput;
  state: ClusterState;
  admission: Admission;
  resumed: boolean;
  /** Set by handlers and background commands when the main loop has work; the loop clears it. */
  flags: { wake: boolean };
  wake: () => void;
  /** Upserts search attributes and memo when phase, host count or VIP holder changed. */
  publish: () => void;
  /** Since 'site-vip-election': the hosts elect the VIP holder (null: the control plane assigns it). */
  siteVip: SiteVipState | null;
}

export async function clusterWorkflow(input: ClusterInput, carried?: unknown): Promise<ClusterView> {
  // Decided before any command, so a history recorded before the patch replays the old loop throughout.
  const v4 = patched(CONTROL_PLANE_TRUTH_PATCH);
  // v5: host commands through the control worker's relay (the broker), liveness from broker presence,
  // no cluster beacon key. Decided right after, for the same reason; v4 histories lack its marker.
  if (v4 && patched(HOST_CHANNEL_PATCH)) useHostRelay();
  // v6: host work goes to the control queue, so a run may live on the cluster queue (own worker, own
  // workflow thread: queries are answered while a thousand hosts join). Runs without it keep their queue.
  if (v4 && patched(CLUSTER_QUEUE_PATCH)) sendHostWorkToControlQueue();
  parseOrFail(clusterInputSchema, input);
  const snapshot = carried ? decodeCarried(carried) : initialSnapshot(input, v4);
  // v7: the site elects its VIP. Decided once, when the cluster is created, and carried from run to run
  // (snapshot.siteVip), so a cluster never changes who places its VIP halfway through its life.
  if (!carried && v4 && patched(SITE_VIP_PATCH)) snapshot.siteVip = initialSiteVip(input.hosts);
  // v10: the phase rule, decided once when the cluster is created and carried the same way
  // (snapshot.phaseSettled, with the facts it remembers). Not at some later refreshStatus: a running cluster
  // would switch rules halfway through its life without knowing whether it ever had a holder or was Ready.
  if (!carried && v4 && patched(PHASE_SETTLED_PATCH)) snapshot.phaseSettled = newPhaseHistory();
  const state = new ClusterState(snapshot);
  const admission = new Admission(state, input);
  const flags = { wake: true };
  const wake = () => {
    flags.wake = true;
  };
  const siteVip = snapshot.siteVip ? new SiteVipState(state, snapshot.siteVip, wake) : null;
  const ctx: LoopContext = {
    input,
    state,
    admission,
    resumed: carried !== undefined,
    flags,
    wake,
    publish: publisher(state),
    siteVip,
  };
  setHandler(clusterStatusQuery, () => state.view(), {
    description: 'The cluster as GET /v1/clusters/:name shows it: phase, VIP and holder, hosts, conditions',
  });
  setHandler(clusterEventsQuery, () => state.events.map((e) => ({ ...e })), {
    description: 'The recent domain events (HostJoined, UnderlayChanged, OverlayReconciled, VipMoved, …)',
  });
  setHandler(peerTableSourceQuery, () => state.peerSource(), {
    description:
      'The peering set the control worker cuts each host peer table from (hosts, addresses, digest)',
  });
  registerMessageHandlers(state, ctx.wake, admission, siteVip);
  return v4 ? runClusterLoop(ctx) : runClusterLoopV3(ctx);
}

function publisher(state: ClusterState): () => void {
  const published = { phase: '', hostCount: -1, vipHolder: '' as string | null, details: '' };
  return () => {
    state.refreshStatus();
    const { phase, vipHolder } = state;
    const hostCount = state.hosts.length;
    // The Web UI's "current details" (no history event: answered from memory by the metadata query).
    const details = clusterDetails({ ...state.spec, name: state.name, phase, vipHolder, hosts: state.hosts });
    if (details !== published.details) {
      setCurrentDetails(details);
      published.details = details;
    }
    if (phase === published.phase && hostCount === published.hostCount && vipHolder === published.vipHolder)
      return;
    upsertSearchAttributes([
      { key: ClusterNameAttr, value: state.name },
      { key: ClusterPhaseAttr, value: phase },
      { key: HostCountAttr, value: hostCount },
    ]);
    upsertMemo({ phase, hostCount, vip: state.spec.vip, vipHolder, overlayCidr: state.spec.overlayCidr });
    Object.assign(published, { phase, hostCount, vipHolder });
  };
}

/** Continue-as-new input is a message too: a malformed one fails the run with InvalidInput (a thrown
 * ZodError would only fail the workflow task, over and over). */
function decodeCarried(carried: unknown) {
  try {
    return decodeSnapshot(carried);
  } catch (err) {
    const issues = err instanceof Error ? err.message.slice(0, 2000) : String(err);
    return fail(ErrorType.InvalidInput, `invalid continue-as-new input: ${issues}`);
  }
}
