// The main loop since 'control-plane-truth'. It never awaits a host: joins, peer pushes, probes, VIP
// assignment and release, and teardowns run in the background (JoinTracker, HostOps) and wake the loop when
// they settle; one that stalls is reported and no longer waited for. Each pass is short and O(hosts).
import { allHandlersFinished, condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import { encodeSnapshot } from '../domain/cluster-snapshot.js';
import type { ClusterView } from '../domain/types.js';
import { control, hostRelayInUse } from './activity-options.js';
import type { clusterWorkflow, LoopContext } from './cluster.js';
import { rejectUnderlayOverlap } from './cluster-loop-v3.js';
import type { ClusterState } from './cluster-state.js';
import { HostOps } from './host-ops.js';
import { JoinTracker } from './joins.js';
import { PeerSync } from './peer-sync.js';
import { deleteAll, startRemovals } from './removal.js';
import { VipAssigner } from './vip-assign.js';
import { markLostHosts, nextLivenessDeadline } from './vip.js';

/** v9: the phase is Ready only once every Joined host has its peer table (PeerSync.tablesPending). */
export const READY_AFTER_TABLE_PUSHES_PATCH = 'ready-after-table-pushes';

export async function runClusterLoop(ctx: LoopContext): Promise<ClusterView> {
  const { input, state, flags, publish } = ctx;
  const ops = new HostOps(state, ctx.wake);
  const joins = new JoinTracker(state, ctx.wake);
  const { siteVip } = ctx;
  const pushes = new PeerSync(state, ops, siteVip);
  // Since 'site-vip-election' the hosts elect the holder among themselves: no assignment from here.
  const vip = siteVip ? null : new VipAssigner(state, ops);

  if (!ctx.resumed) {
    state.recordCreated(input);
    publish();
    const admitted = await ctx.admission.admit();
    if (!admitted.ok) {
      // Nothing was claimed: the run ends so the name is free again (the update told the caller why).
      await condition(allHandlersFinished);
      return state.view();
    }
    // v2 agents sign beacons with their own keys: no shared secret goes into history.
    if (!hostRelayInUse()) state.setBeaconKey(await control.generateBeaconKey());
  }

  const opts = state.options;
  // Work in flight is not carried: continue-as-new waits until it settled (the loop keeps working, but
  // stops retrying failed commands meanwhile, so work in flight drains within hostActivityTimeoutMs).
  const historyFull = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= opts.continueAsNewAfterEvents;
  const continueAsNewDue = () => joins.size === 0 && ops.size === 0 && historyFull();
  // Since 'underlay-batch-per-activation' reports are applied in the activation that brings them: signals
  // that arrive while a workflow task runs come together in the next one, which batches a site-wide
  // renumbering by itself, while a debounce timer cost its window plus the timer's lateness (seen ~1 s).
  const debounce = new Debounce(state, patched('underlay-batch-per-activation'));
  // Ready means every Joined host has its table: before, the last membership round's pushes were still in
  // flight when the phase said Ready (a test that counted pushes at Ready saw an older table land after).
  if (patched(READY_AFTER_TABLE_PUSHES_PATCH)) state.watchTablesPending(() => pushes.tablesPending());

  while (!state.deleting) {
    ops.reportStalled();
    pushes.closeRounds();
    state.setReconciling(pushes.reconciling());
    state.setQuiescing(historyFull());
    publish();
    if (!flags.wake && !continueAsNewDue()) {
      const deadlines = [
        nextLivenessDeadline(state),
        ops.nextStallDeadline(),
        pushes.nextRetry(),
        vip?.nextRetry() ?? null,
        debounce.deadline(),
        joins.nextWave(),
      ].filter((t): t is number => t !== null);
      const ready = () => flags.wake || continueAsNewDue();
      if (deadlines.length === 0) await condition(ready);
      else await condition(ready, Math.max(Math.min(...deadlines) - Date.now(), 1));
    }
    flags.wake = false;
    if (state.deleting) break;
    if (continueAsNewDue()) {
      pushes.closeRounds(); // rounds live in this run: record the ones the last settled push completed
      await condition(allHandlersFinished);
      await continueAsNew<typeof clusterWorkflow>(input, encodeSnapshot(state.snapshot()));
    }
    markLostHosts(state);
    rejectUnderlayOverlap(state);
    if (state.hostsIn('Pending').length > 0) joins.startPendingInBackground(pushes, ops);
    startRemovals(state, ops, joins, !siteVip);
    siteVip?.step();
    pushes.step('Membership', debounce.takeDue());
    vip?.step();
  }

  publish();
  await deleteAll(state, ops, joins, !siteVip);
  publish();
  await condition(allHandlersFinished);
  return state.view();
}

/** Underlay reports within reconcileDebounceMs of the first one are applied together, without blocking
 * (runs before 'underlay-batch-per-activation'; since then each activation's reports are applied at once). */
class Debounce {
  private since: number | null = null;
  constructor(
    private readonly state: ClusterState,
    private readonly immediate: boolean,
  ) {}

  deadline(): number | null {
    // Immediate: the report's signal wakes the loop, which takes it in the same activation; no timer.
    if (!this.state.hasPendingUnderlay() || this.immediate) return null;
    this.since ??= Date.now();
    return this.since + this.state.options.reconcileDebounceMs;
  }

  /** Applies the batch when its window has passed: records UnderlayChanged, returns the changed hosts. */
  takeDue(): string[] {
    if (this.immediate) return this.state.hasPendingUnderlay() ? this.state.takeUnderlayBatch() : [];
    const due = this.deadline();
    if (due === null || Date.now() < due) return [];
    this.since = null;
    return this.state.takeUnderlayBatch();
  }
}
