// Membership steps of the cluster workflow: claim, join (children, collected with allSettled), remove, delete.
import { executeChild, getExternalWorkflowHandle, log, patched } from '@temporalio/workflow';
import type { ClaimResult } from '../activities/control/index.js';
import { hostJoinWorkflowId, hostWorkflowId } from '../domain/ids.js';
import type { HostSpec, Peer } from '../domain/types.js';
import { control, hostActivities } from './activity-options.js';
import type { ClusterState } from './cluster-state.js';
import { nowIso } from './cluster-state.js';
import { setHostClusterSignal } from './definitions.js';
import { describeFailure } from './failures.js';
import { type HostJoinResult, hostJoinWorkflow } from './host-join.js';
import { syncPeerTables } from './reconcile.js';

/** v2 change: push peer tables to joined hosts before starting joins (histories before it lack the marker). */
export const PEERS_BEFORE_JOIN_PATCH = 'peers-before-join';

export async function claimHosts(state: ClusterState, hosts: HostSpec[]): Promise<ClaimResult[]> {
  if (hosts.length === 0) return [];
  return control.claimHosts(
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

/** Joins every Pending host in parallel. One host's failure never blocks or rolls back another. */
export async function joinPending(state: ClusterState): Promise<void> {
  const pending = state.hostsIn('Pending');
  if (pending.length === 0) return;
  for (const h of pending) h.state = 'Joining';
  state.refreshStatus();
  const desired = state.desiredPeers();
  // Joined hosts learn the newcomers first: with head-end replication a joined peer can only answer the
  // newcomer's probe once it has an FDB entry back to it. Entries of hosts that fail are removed after.
  if (patched(PEERS_BEFORE_JOIN_PATCH)) await syncPeerTables(state, false);
  const joinedIps = new Set(state.hostsIn('Joined').map((h) => h.overlayIp));
  const budget = state.s.options.hostActivityTimeoutMs;
  // Each outcome is recorded as soon as that child settles, so a slow host never hides the others' progress.
  const settle = (
    hostId: string,
    outcome: { result: HostJoinResult; peers: Peer[] } | { error: unknown },
  ) => {
    const current = state.host(hostId);
    if (current?.state !== 'Joining') return; // removed while joining
    if ('result' in outcome) {
      current.state = 'Joined';
      current.lastSeen = nowIso();
      delete current.reason;
      state.s.appliedPeers[hostId] = outcome.peers;
      const { overlayIp, mtu, probe } = outcome.result;
      state.record('HostJoined', { overlayIp, underlayIp: current.underlayIp, mtu, probe }, hostId);
    } else {
      const failure = describeFailure(outcome.error);
      current.state = 'Failed';
      current.reason = `${failure.type}: ${failure.message}`;
      state.record('HostJoinFailed', { errorType: failure.type, message: failure.message }, hostId);
    }
  };
  await Promise.allSettled(
    pending.map((h) => {
      const peers = desired[h.hostId] ?? [];
      return executeChild(hostJoinWorkflow, {
        workflowId: hostJoinWorkflowId(state.name, h.hostId),
        args: [
          {
            spec: state.s.spec,
            hostId: h.hostId,
            overlayIp: h.overlayIp,
            peers,
            probeTargets: peers.filter((p) => joinedIps.has(p.overlayIp)).map((p) => p.overlayIp),
            activityBudgetMs: budget,
          },
        ],
      }).then(
        (result) => settle(h.hostId, { result, peers }),
        (error) => settle(h.hostId, { error }),
      );
    }),
  );
}

/** Tears the overlay down on each Removing host (best effort), frees its claim, forgets it. */
export async function removeMarked(state: ClusterState): Promise<string[]> {
  const removing = state.hostsIn('Removing');
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
  const budget = state.s.options.hostActivityTimeoutMs;
  const spec = state.s.spec;
  const results = await Promise.allSettled(
    hostIds.map(async (hostId) => {
      const host = hostActivities(hostId, budget);
      if (state.s.vipHolder === hostId) await host.releaseVip({ spec }).catch(() => undefined);
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
