// Liveness from heartbeats and VIP ownership: one healthy control-plane host holds the VIP.
import { lostHostIds, nextLivenessDeadline as livenessDeadline } from '../domain/liveness.js';
import { initialVipWaits, vipMoveReason } from '../domain/vip-policy.js';
import { hostActivities, hostRelayInUse } from './activity-options.js';
import type { ClusterState } from './cluster-state.js';
import { describeFailure } from './failures.js';

/** Earliest time a Joined host will be declared Lost, or null when none can be. */
export function nextLivenessDeadline(state: ClusterState): number | null {
  if (hostRelayInUse()) return null; // v2: liveness comes from the broker (hostPresence), not silence
  return livenessDeadline(state.hosts, state.options.heartbeatTimeoutMs);
}

/** Joined hosts silent past the timeout become Lost. Returns them. */
export function markLostHosts(state: ClusterState): string[] {
  if (hostRelayInUse()) return [];
  const lost = lostHostIds(state.hosts, Date.now(), state.options.heartbeatTimeoutMs);
  state.markLost(lost);
  return lost;
}

/**
 * Keeps the VIP on a Joined control-plane host: the current holder while healthy, else the first healthy
 * one by hostId that accepts it. The old holder's release is best effort and not awaited here.
 */
export async function ensureVipHolder(state: ClusterState, background: Promise<unknown>[]): Promise<void> {
  const holder = state.vipHolder ? state.host(state.vipHolder) : undefined;
  if (holder?.state === 'Joined') return;
  // No host is Joining here on the pre-v3 path (joins were awaited), so old histories are unaffected.
  if (initialVipWaits(state.hosts, state.vipHolder)) return;
  const candidates = state.hostsIn('Joined').filter((h) => h.role === 'control-plane');
  const previous = state.vipHolder;
  const budget = state.options.hostActivityTimeoutMs;
  const spec = state.spec;
  const failures: Record<string, string> = {};
  for (const c of candidates) {
    try {
      await hostActivities(c.hostId, budget).assignVip({ spec });
    } catch (err) {
      failures[c.hostId] = describeFailure(err).message;
      continue;
    }
    // Runs before 'control-plane-truth' named a Removing holder 'HolderRemoving'.
    state.moveVip(previous, c.hostId, vipMoveReason(previous, holder?.state, false), failures);
    if (previous !== null && holder) {
      background.push(
        hostActivities(previous, budget)
          .releaseVip({ spec })
          .catch(() => undefined),
      );
    }
    return;
  }
  if (previous !== null) {
    state.moveVip(previous, null, 'NoHealthyControlPlane', failures);
  }
}
