// Reconciliation as runs before 'control-plane-truth' did it (their histories replay it): apply coalesced
// underlay changes, push whole peer tables to every affected host in parallel and await them, verify, and
// record the outcome. Current runs push in the background (peer-sync.ts).
import { sleep } from '@temporalio/workflow';
import { peerTableDigest } from '../domain/peer-digest.js';
import { hostActivities } from './activity-options.js';
import type { ClusterState } from './cluster-state.js';
import { describeFailure } from './failures.js';

export interface PushOutcome {
  pushed: string[];
  failed: Record<string, string>;
  unreachable: Record<string, string[]>;
}

/** Pushes the desired table to every Joined host whose applied table differs. */
export async function syncPeerTables(state: ClusterState, verify: boolean): Promise<PushOutcome> {
  const desired = state.desiredDigests();
  const joined = new Set(state.hostsIn('Joined').map((h) => h.hostId));
  const targets = Object.keys(desired)
    .filter((id) => state.appliedDigest(id) !== desired[id] && joined.has(id))
    .sort();
  const outcome: PushOutcome = { pushed: [], failed: {}, unreachable: {} };
  if (targets.length === 0) return outcome;
  const budget = state.options.hostActivityTimeoutMs;
  const spec = state.spec;
  const results = await Promise.allSettled(
    targets.map(async (hostId) => {
      const host = hostActivities(hostId, budget);
      const peers = state.peersFor(hostId);
      await host.setPeers({ spec, peers });
      state.noteApplied(hostId, peerTableDigest(peers));
      const joinedPeers = peers.filter((p) => joined.has(p.hostId)).map((p) => p.overlayIp);
      if (!verify || joinedPeers.length === 0) return [];
      const probe = await host.probePeers({ targets: joinedPeers });
      return probe.unreachable;
    }),
  );
  results.forEach((r, i) => {
    const hostId = targets[i]!;
    if (r.status === 'fulfilled') {
      outcome.pushed.push(hostId);
      if (r.value.length > 0) outcome.unreachable[hostId] = r.value;
    } else {
      outcome.failed[hostId] = describeFailure(r.reason).message;
    }
  });
  const failedNow = new Set(Object.keys(outcome.failed));
  state.settleReconcileRound(targets, failedNow);
  return outcome;
}

/** One reconciliation for every underlay change reported so far (and during the debounce window). */
export async function reconcileUnderlay(state: ClusterState): Promise<boolean> {
  if (!state.hasPendingUnderlay()) return false;
  const started = Date.now();
  state.refreshStatus(true);
  await sleep(state.options.reconcileDebounceMs);
  const changed = state.takeUnderlayBatch();
  if (changed.length === 0) return false;
  const outcome = await syncPeerTables(state, true);
  state.record('OverlayReconciled', {
    trigger: 'UnderlayChanged',
    changedHosts: changed,
    pushedTo: outcome.pushed,
    failed: outcome.failed,
    unreachable: outcome.unreachable,
    durationMs: Date.now() - started,
  });
  return true;
}
