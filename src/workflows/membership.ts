// Membership steps of the cluster workflow: claim, remove, delete (joins are in joins.ts).
import { getExternalWorkflowHandle, log } from '@temporalio/workflow';
import type { ClaimResult } from '../activities/control/index.js';
import { hostWorkflowId } from '../domain/ids.js';
import type { HostSpec } from '../domain/types.js';
import { claimActivities, hostActivities } from './activity-options.js';
import type { ClusterState } from './cluster-state.js';
import { setHostClusterSignal } from '../contract/workflow-messages.js';
import { describeFailure } from './failures.js';

export async function claimHosts(state: ClusterState, hosts: readonly HostSpec[]): Promise<ClaimResult[]> {
  if (hosts.length === 0) return [];
  return claimActivities().claimHosts(
    state.name,
    hosts.map((h) => h.hostId),
  );
}

/** Tells the registry the host left this cluster; the host workflow ignores it if another cluster owns it. */
export async function releaseClaim(state: ClusterState, hostId: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(hostWorkflowId(hostId)).signal(setHostClusterSignal, {
      cluster: null,
      from: state.name,
    });
  } catch (err) {
    log.warn('could not release host claim', { hostId, error: String(err) });
  }
}

/** Adds claimed hosts as Pending; refused claims become Failed members with a HostJoinFailed event. */
export function admitClaims(state: ClusterState, specs: HostSpec[], claims: ClaimResult[]): void {
  const byId = new Map(claims.map((c) => [c.hostId, c]));
  state.addHosts(
    specs.map((spec) => {
      const claim = byId.get(spec.hostId);
      if (claim?.ok) {
        return {
          ...spec,
          underlayIp: claim.record.underlayIp,
          state: 'Pending',
          lastSeen: claim.record.lastSeen,
          claimed: true,
        };
      }
      const reason = claim ? `${claim.errorType}: ${claim.message}` : 'not claimed';
      return { ...spec, underlayIp: null, state: 'Failed', lastSeen: null, reason, claimed: false };
    }),
  );
  for (const c of claims) {
    if (!c.ok) state.record('HostJoinFailed', { errorType: c.errorType, message: c.message }, c.hostId);
  }
}

/**
 * Tears the overlay down on each Removing host (best effort), frees its claim, forgets it. A host whose join
 * child is still running (`joining`) waits: its activities could program the overlay after the teardown.
 */
export async function removeMarked(
  state: ClusterState,
  joining: (hostId: string) => boolean = () => false,
): Promise<string[]> {
  const removing = state.hostsIn('Removing').filter((h) => !joining(h.hostId));
  if (removing.length === 0) return [];
  const outcomes = await teardownHosts(
    state,
    removing.filter((h) => h.claimed).map((h) => h.hostId),
  );
  for (const h of removing) {
    const outcome = outcomes[h.hostId];
    state.dropHost(h.hostId);
    state.record('HostRemoved', { overlayIp: h.overlayIp, teardown: outcome ?? 'not claimed' }, h.hostId);
  }
  return removing.map((h) => h.hostId);
}

/** Parallel teardown + claim release; returns 'ok' or the failure per host. */
export async function teardownHosts(state: ClusterState, hostIds: string[]): Promise<Record<string, string>> {
  const budget = state.options.hostActivityTimeoutMs;
  const spec = state.spec;
  const results = await Promise.allSettled(
    hostIds.map(async (hostId) => {
      const host = hostActivities(hostId, budget);
      if (state.vipHolder === hostId) await host.releaseVip({ spec }).catch(() => undefined);
      await host.teardown({ spec });
    }),
  );
  await Promise.all(hostIds.map((id) => releaseClaim(state, id)));
  const out: Record<string, string> = {};
  results.forEach((r, i) => {
    out[hostIds[i]!] = r.status === 'fulfilled' ? 'ok' : describeFailure(r.reason).message;
  });
  return out;
}
