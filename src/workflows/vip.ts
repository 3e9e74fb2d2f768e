// Liveness from heartbeats and VIP ownership: one healthy control-plane host holds the VIP.
import { initialVipWaits } from '../domain/vip-policy.js';
import { hostActivities } from './activity-options.js';
import type { ClusterState, HostEntry } from './cluster-state.js';
import { describeFailure } from './failures.js';

const lastSeenMs = (h: HostEntry): number => (h.lastSeen ? Date.parse(h.lastSeen) : 0);

/** Earliest time a Joined host will be declared Lost, or null when none can be. */
export function nextLivenessDeadline(state: ClusterState): number | null {
  const joined = state.hostsIn('Joined');
  if (joined.length === 0) return null;
  return Math.min(...joined.map(lastSeenMs)) + state.s.options.heartbeatTimeoutMs;
}

/** Joined hosts silent past the timeout become Lost. Returns them. */
export function markLostHosts(state: ClusterState): string[] {
  const cutoff = Date.now() - state.s.options.heartbeatTimeoutMs;
  const lost = state.hostsIn('Joined').filter((h) => lastSeenMs(h) <= cutoff);
  for (const h of lost) {
    h.state = 'Lost';
    state.record(
      'HostLost',
      { lastSeen: h.lastSeen, timeoutMs: state.s.options.heartbeatTimeoutMs },
      h.hostId,
    );
  }
  return lost.map((h) => h.hostId);
}

/**
 * Keeps the VIP on a Joined control-plane host: the current holder while healthy, else the first healthy
 * one by hostId that accepts it. The old holder's release is best effort and not awaited here.
 */
export async function ensureVipHolder(state: ClusterState, background: Promise<unknown>[]): Promise<void> {
  const holder = state.s.vipHolder ? state.host(state.s.vipHolder) : undefined;
  if (holder?.state === 'Joined') return;
  // No host is Joining here on the pre-v3 path (joins were awaited), so old histories are unaffected.
  if (initialVipWaits(state.s.hosts, state.s.vipHolder)) return;
  const candidates = state.hostsIn('Joined').filter((h) => h.role === 'control-plane');
  const previous = state.s.vipHolder;
  const budget = state.s.options.hostActivityTimeoutMs;
  const spec = state.s.spec;
  const failures: Record<string, string> = {};
  for (const c of candidates) {
    try {
      await hostActivities(c.hostId, budget).assignVip({ spec });
    } catch (err) {
      failures[c.hostId] = describeFailure(err).message;
      continue;
    }
    state.s.vipHolder = c.hostId;
    const reason = previous === null ? 'Initial' : holder ? `Holder${holder.state}` : 'HolderRemoved';
    state.record('VipMoved', { from: previous, to: c.hostId, vip: spec.vip, reason, failures }, c.hostId);
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
    state.s.vipHolder = null;
    state.record('VipMoved', {
      from: previous,
      to: null,
      vip: spec.vip,
      reason: 'NoHealthyControlPlane',
      failures,
    });
  }
}
