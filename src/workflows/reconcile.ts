// Reconciliation: apply coalesced underlay changes, push whole peer tables to every affected host in
// parallel, verify, and record the outcome. Overlay IPs and the VIP never change here.
import { sleep } from '@temporalio/workflow';
import { hostsNeedingPeers } from '../domain/peer-plan.js';
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
  const desired = state.desiredPeers();
  const joined = new Set(state.hostsIn('Joined').map((h) => h.hostId));
  const targets = hostsNeedingPeers(state.s.appliedPeers, desired).filter((id) => joined.has(id));
  const outcome: PushOutcome = { pushed: [], failed: {}, unreachable: {} };
  if (targets.length === 0) return outcome;
  const budget = state.s.options.hostActivityTimeoutMs;
  const spec = state.s.spec;
  const results = await Promise.allSettled(
    targets.map(async (hostId) => {
      const host = hostActivities(hostId, budget);
      const peers = desired[hostId]!;
      await host.setPeers({ spec, peers });
      state.s.appliedPeers[hostId] = peers;
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
  state.s.reconcileFailures = [
    ...state.s.reconcileFailures.filter((h) => !targets.includes(h)),
    ...failedNow,
  ].sort();
  return outcome;
}

/** One reconciliation for every underlay change reported so far (and during the debounce window). */
export async function reconcileUnderlay(state: ClusterState): Promise<boolean> {
  if (Object.keys(state.s.pendingUnderlay).length === 0) return false;
  const started = Date.now();
  state.refreshStatus(true);
  await sleep(state.s.options.reconcileDebounceMs);
  const batch = state.s.pendingUnderlay;
  state.s.pendingUnderlay = {};
  const changed: string[] = [];
  for (const [hostId, underlayIp] of Object.entries(batch).sort(([a], [b]) => a.localeCompare(b))) {
    const host = state.host(hostId);
    if (!host || host.underlayIp === underlayIp) continue;
    state.record(
      'UnderlayChanged',
      { from: host.underlayIp, to: underlayIp, overlayIp: host.overlayIp },
      hostId,
    );
    host.underlayIp = underlayIp;
    changed.push(hostId);
  }
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
