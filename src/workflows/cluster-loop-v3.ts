// The main loop of runs started before 'control-plane-truth', kept so their histories replay unchanged:
// it awaits peer pushes, the VIP assignment and teardowns (joins run in the background since v3).
// New runs use cluster-loop.ts. Do not change the commands this issues.
import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import { overlayCidrProblems } from '../domain/cidr.js';
import { ErrorType } from '../domain/errors.js';
import type { ClusterView } from '../domain/types.js';
import { initialVipWaits } from '../domain/vip-policy.js';
import { control } from './activity-options.js';
import type { LoopContext } from './cluster.js';
import type { ClusterState } from './cluster-state.js';
import { JoinTracker, joinStep } from './joins.js';
import { admitClaims, claimHosts, removeMarked, teardownHosts } from './membership.js';
import { reconcileUnderlay, syncPeerTables } from './reconcile.js';
import { ensureVipHolder, markLostHosts, nextLivenessDeadline } from './vip.js';

export async function runClusterLoopV3(ctx: LoopContext): Promise<ClusterView> {
  const { input, state, flags, publish } = ctx;
  const background: Promise<unknown>[] = [];
  const joins = new JoinTracker(state, ctx.wake);

  if (!ctx.resumed) {
    state.recordCreated(input);
    publish();
    state.setBeaconKey(await control.generateBeaconKey());
    const claims = await claimHosts(state, input.hosts);
    admitClaims(state, input.hosts, claims);
    state.markInitialized();
  }

  const opts = state.options;
  // Joins in flight are not carried: continue-as-new waits until they settled (the loop keeps working).
  const continueAsNewDue = () =>
    joins.size === 0 &&
    (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= opts.continueAsNewAfterEvents);

  while (!state.deleting) {
    publish();
    if (!flags.wake && !continueAsNewDue()) {
      const deadline = nextWakeup(state);
      const ready = () => flags.wake || continueAsNewDue();
      if (deadline === null) await condition(ready);
      else await condition(ready, Math.max(deadline - Date.now(), 1));
    }
    flags.wake = false;
    if (state.deleting) break;
    if (continueAsNewDue()) {
      await Promise.all(background);
      await condition(allHandlersFinished);
      await continueAsNew(input, state.snapshot());
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
    state.hosts.filter((h) => h.claimed).map((h) => h.hostId),
  );
  state.setVipHolder(null);
  state.record('ClusterDeleted', { teardown: outcome });
  await Promise.all(background);
  await condition(allHandlersFinished);
  return state.view();
}

/** The next liveness check, or a retry of a failed peer push / VIP assignment, whichever comes first. */
function nextWakeup(state: ClusterState): number | null {
  const { reconcileFailures, vipHolder, options } = state;
  const vipWanted =
    vipHolder === null &&
    state.hostsIn('Joined').some((h) => h.role === 'control-plane') &&
    !initialVipWaits(state.hosts, vipHolder);
  const retry = reconcileFailures.length > 0 || vipWanted ? Date.now() + options.retryIntervalMs : null;
  const candidates = [nextLivenessDeadline(state), retry].filter((t): t is number => t !== null);
  return candidates.length > 0 ? Math.min(...candidates) : null;
}

/** A host whose underlay address lies inside the overlay CIDR would route the overlay into itself. */
export function rejectUnderlayOverlap(state: ClusterState): void {
  for (const h of state.hostsIn('Pending')) {
    if (h.underlayIp === null) continue;
    const problems = overlayCidrProblems({
      cidr: state.spec.overlayCidr,
      hostCount: 0,
      underlay: [h.underlayIp],
    });
    if (problems.length === 0) continue;
    const reason = `${ErrorType.InvalidOverlayConfig}: ${problems.join('; ')}`;
    state.markJoinFailed(h.hostId, ErrorType.InvalidOverlayConfig, reason, reason);
  }
}
