// `cluster/<name>`: the entity that owns one cluster. This file wires messages and runs the loop; state is
// in cluster-state, steps in membership/reconcile/vip, pure logic in src/domain.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { overlayCidrProblems } from '../domain/cidr.js';
import { initialVipWaits } from '../domain/vip-policy.js';
import { ErrorType } from '../domain/errors.js';
import type { ClusterView } from '../domain/types.js';
import { ClusterNameAttr, ClusterPhaseAttr, HostCountAttr } from '../temporal/search-attributes.js';
import { control } from './activity-options.js';
import { initialSnapshot } from './cluster-init.js';
import { type ClusterSnapshot, ClusterState } from './cluster-state.js';
import { type ClusterInput, clusterEventsQuery, clusterStatusQuery } from './definitions.js';
import { registerMessageHandlers } from './cluster-handlers.js';
import { JoinTracker, joinStep } from './joins.js';
import { admitClaims, claimHosts, removeMarked, teardownHosts } from './membership.js';
import { reconcileUnderlay, syncPeerTables } from './reconcile.js';
import { ensureVipHolder, markLostHosts, nextLivenessDeadline } from './vip.js';

export async function clusterWorkflow(input: ClusterInput, carried?: ClusterSnapshot): Promise<ClusterView> {
  const state = new ClusterState(carried ?? initialSnapshot(input));
  const background: Promise<unknown>[] = [];
  let wake = true;
  const signalWork = () => {
    wake = true;
  };
  setHandler(clusterStatusQuery, () => state.view());
  setHandler(clusterEventsQuery, () => state.s.events.map((e) => ({ ...e })));
  registerMessageHandlers(state, signalWork);
  const joins = new JoinTracker(state, signalWork);

  const published = { phase: '', hostCount: -1, vipHolder: '' as string | null };
  const publish = () => {
    state.refreshStatus();
    const { phase, vipHolder } = state.s;
    const hostCount = state.s.hosts.length;
    if (phase === published.phase && hostCount === published.hostCount && vipHolder === published.vipHolder)
      return;
    upsertSearchAttributes([
      { key: ClusterNameAttr, value: state.name },
      { key: ClusterPhaseAttr, value: phase },
      { key: HostCountAttr, value: hostCount },
    ]);
    upsertMemo({ phase, hostCount, vip: state.s.spec.vip, vipHolder, overlayCidr: state.s.spec.overlayCidr });
    Object.assign(published, { phase, hostCount, vipHolder });
  };

  if (!carried) {
    state.record('ClusterCreated', {
      overlayCidr: input.overlayCidr,
      vni: input.vni,
      mode: input.mode,
      vip: state.s.spec.vip,
      hosts: input.hosts.map((h) => h.hostId),
    });
    publish();
    state.s.spec.beaconKey = await control.generateBeaconKey();
    const claims = await claimHosts(state, input.hosts);
    admitClaims(state, input.hosts, claims);
    state.s.initialized = true;
  }

  const opts = state.s.options;
  // Joins in flight are not carried: continue-as-new waits until they settled (the loop keeps working).
  const continueAsNewDue = () =>
    joins.size === 0 &&
    (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= opts.continueAsNewAfterEvents);

  while (!state.s.deleting) {
    publish();
    if (!wake && !continueAsNewDue()) {
      const deadline = nextWakeup(state);
      const ready = () => wake || continueAsNewDue();
      if (deadline === null) await condition(ready);
      else await condition(ready, Math.max(deadline - Date.now(), 1));
    }
    wake = false;
    if (state.s.deleting) break;
    if (continueAsNewDue()) {
      await Promise.all(background);
      await condition(allHandlersFinished);
      await continueAsNew<typeof clusterWorkflow>(input, state.s);
    }
    markLostHosts(state);
    rejectUnderlayOverlap(state);
    await joinStep(state, joins);
    const removed = await removeMarked(state, (hostId) => joins.has(hostId));
    const reconciled = await reconcileUnderlay(state);
    if (!reconciled) {
      const outcome = await syncPeerTables(state, false);
      if (outcome.pushed.length > 0 || Object.keys(outcome.failed).length > 0) {
        state.record('OverlayReconciled', {
          trigger: removed.length > 0 ? 'HostRemoved' : 'Membership',
          pushedTo: outcome.pushed,
          failed: outcome.failed,
        });
      }
    }
    await ensureVipHolder(state, background);
  }

  publish();
  if (joins.size > 0) await joins.settled(); // a join finishing after the teardown would leave an overlay
  const outcome = await teardownHosts(
    state,
    state.s.hosts.filter((h) => h.claimed).map((h) => h.hostId),
  );
  state.s.vipHolder = null;
  state.record('ClusterDeleted', { teardown: outcome });
  await Promise.all(background);
  await condition(allHandlersFinished);
  return state.view();
}

/** The next liveness check, or a retry of a failed peer push / VIP assignment, whichever comes first. */
function nextWakeup(state: ClusterState): number | null {
  const { reconcileFailures, vipHolder, options } = state.s;
  const vipWanted =
    vipHolder === null &&
    state.hostsIn('Joined').some((h) => h.role === 'control-plane') &&
    !initialVipWaits(state.s.hosts, vipHolder);
  const retry = reconcileFailures.length > 0 || vipWanted ? Date.now() + options.retryIntervalMs : null;
  const candidates = [nextLivenessDeadline(state), retry].filter((t): t is number => t !== null);
  return candidates.length > 0 ? Math.min(...candidates) : null;
}

/** A host whose underlay address lies inside the overlay CIDR would route the overlay into itself. */
function rejectUnderlayOverlap(state: ClusterState): void {
  for (const h of state.hostsIn('Pending')) {
    if (h.underlayIp === null) continue;
    const problems = overlayCidrProblems({
      cidr: state.s.spec.overlayCidr,
      hostCount: 0,
      underlay: [h.underlayIp],
    });
    if (problems.length === 0) continue;
    h.state = 'Failed';
    h.reason = `${ErrorType.InvalidOverlayConfig}: ${problems.join('; ')}`;
    state.record(
      'HostJoinFailed',
      { errorType: ErrorType.InvalidOverlayConfig, message: h.reason },
      h.hostId,
    );
  }
}
