// Removal and deletion in the background (since 'control-plane-truth'). A removed host leaves the peer
// tables at once (it is no longer peering) and is forgotten when its teardown has answered; a delete tears
// every claimed host down in parallel and finishes once each has answered or stalled, recording which hosts
// could not be cleaned instead of waiting for them.
import { condition } from '@temporalio/workflow';
import { summarizeIds, summarizeMap } from '../domain/event-log.js';
import { hostActivities } from './activity-options.js';
import type { ClusterState } from './cluster-state.js';
import { describeFailure } from './failures.js';
import type { HostOps } from './host-ops.js';
import type { JoinTracker } from './joins.js';
import { releaseClaim } from './membership.js';

/** 'ok' or why the teardown failed; never throws. `releaseVip`: a holder is told to release the VIP first
 * (not under the site election: the teardown stops the host's elector, which releases it). */
async function teardownOne(state: ClusterState, hostId: string, releaseVip: boolean): Promise<string> {
  const host = hostActivities(hostId, state.options.hostActivityTimeoutMs);
  const spec = state.spec;
  try {
    if (releaseVip && state.vipHolder === hostId) await host.releaseVip({ spec }).catch(() => undefined);
    await host.teardown({ spec });
    return 'ok';
  } catch (err) {
    return describeFailure(err).message;
  }
}

/** Starts the teardown of every Removing host whose join has settled (its activities could otherwise
 * program the overlay again after the teardown). */
export function startRemovals(
  state: ClusterState,
  ops: HostOps,
  joins: JoinTracker,
  releaseVip = true,
): void {
  for (const h of state.hostsIn('Removing')) {
    if (joins.has(h.hostId) || ops.busy('teardown', h.hostId)) continue;
    const { hostId, overlayIp, claimed } = h;
    ops.start('teardown', hostId, async () => {
      const outcome = claimed ? await teardownOne(state, hostId, releaseVip) : 'not claimed';
      if (claimed) await releaseClaim(state, hostId);
      state.dropHost(hostId);
      state.record('HostRemoved', { overlayIp, teardown: outcome }, hostId);
    });
  }
}

/** Tears every claimed host down; returns once each teardown answered or stalled (joins likewise). */
export async function deleteAll(
  state: ClusterState,
  ops: HostOps,
  joins: JoinTracker,
  releaseVip = true,
): Promise<void> {
  const waitMs = state.options.stallAfterMs;
  // A join finishing after the teardown would leave an overlay behind: give joins the stall window first.
  if (joins.size > 0) await condition(() => joins.size === 0, waitMs);
  const stillJoining = state.hosts.filter((h) => joins.has(h.hostId)).map((h) => h.hostId);
  const claimed = state.hosts.filter((h) => h.claimed).map((h) => h.hostId);
  const outcomes: Record<string, string> = {};
  for (const hostId of claimed) {
    ops.start('teardown', hostId, async () => {
      outcomes[hostId] = await teardownOne(state, hostId, releaseVip);
    });
  }
  // Hosts already known to hang are not waited for at all; the others get the stall window.
  const waited = claimed.filter((id) => !state.stalled.has(id));
  await condition(() => ops.settledOrStalled('teardown', waited));
  await Promise.all(claimed.map((id) => releaseClaim(state, id)));
  const notCleaned = claimed.filter((id) => outcomes[id] !== 'ok' || stillJoining.includes(id));
  const failed: Record<string, string> = {};
  for (const id of notCleaned) failed[id] = outcomes[id] ?? 'no answer (stalled)';
  state.setVipHolder(null);
  state.record('ClusterDeleted', {
    teardown: { ok: claimed.length - notCleaned.length, failed: summarizeMap(failed) },
    notCleaned: summarizeIds(notCleaned),
  });
}
