// Phase and conditions of a cluster computed from a snapshot, with no I/O; `now` comes from workflow time.
import { ConditionType, type ConditionInput, Reason, setCondition } from './conditions.js';
import type { ClusterPhase, Condition, HostRole, HostState } from './types.js';

export interface StatusSnapshot {
  deleting: boolean;
  /** The initial members are still being claimed. */
  initializing?: boolean;
  /** A reconciliation is running or queued. */
  reconciling: boolean;
  /** Hosts whose last peer-table push failed. */
  reconcileFailures: string[];
  hosts: Array<{ hostId: string; role: HostRole; state: HostState }>;
  vipHolder: string | null;
  /** Hosts with a command running past stallAfterMs (reported, not waited for). */
  stalled?: string[];
  /** Since 'ready-after-table-pushes': some Joined host still waits for its peer table (being pushed, queued
   * or due; not one whose push failed or stalled: that is Degraded). A cluster is not Ready before. */
  tablesPending?: boolean;
}

export function computePhase(s: StatusSnapshot): ClusterPhase {
  if (s.deleting) return 'Deleting';
  if (s.initializing) return 'Provisioning';
  if (s.hosts.some((h) => h.state === 'Pending' || h.state === 'Joining')) return 'Provisioning';
  if (s.reconciling) return 'Recovering';
  if (s.tablesPending) return 'Provisioning';
  if (degraded(s)) return 'Degraded';
  return 'Ready';
}

function degraded(s: StatusSnapshot): boolean {
  const hasControlPlane = s.hosts.some((h) => h.role === 'control-plane' && h.state === 'Joined');
  return (
    s.hosts.some((h) => h.state === 'Failed' || h.state === 'Lost') ||
    s.reconcileFailures.length > 0 ||
    (s.stalled?.length ?? 0) > 0 ||
    (hasControlPlane && s.vipHolder === null)
  );
}

/** Host names in a condition message, cut after a few so the message stays short at 1000 hosts. */
export const MAX_NAMES_IN_MESSAGE = 10;
export function listNames(ids: readonly string[]): string {
  const shown = ids.slice(0, MAX_NAMES_IN_MESSAGE).join(', ');
  return ids.length > MAX_NAMES_IN_MESSAGE ? `${shown} and ${ids.length - MAX_NAMES_IN_MESSAGE} more` : shown;
}
const names = (hosts: StatusSnapshot['hosts']) => listNames(hosts.map((h) => h.hostId));

export function hostsJoinedCondition(s: StatusSnapshot): ConditionInput {
  const failed = s.hosts.filter((h) => h.state === 'Failed');
  const joining = s.hosts.filter((h) => h.state === 'Pending' || h.state === 'Joining');
  const type = ConditionType.HostsJoined;
  if (failed.length > 0) {
    return {
      type,
      status: 'False',
      reason: Reason.HostJoinFailed,
      message: `failed to join: ${names(failed)}`,
    };
  }
  if (joining.length > 0) {
    return { type, status: 'False', reason: Reason.HostsJoining, message: `joining: ${names(joining)}` };
  }
  return { type, status: 'True', reason: Reason.AllHostsJoined, message: `${s.hosts.length} hosts joined` };
}

export function hostsHealthyCondition(s: StatusSnapshot): ConditionInput {
  const lost = s.hosts.filter((h) => h.state === 'Lost');
  const type = ConditionType.HostsHealthy;
  if (lost.length > 0) {
    return { type, status: 'False', reason: Reason.HostLost, message: `missed heartbeats: ${names(lost)}` };
  }
  // A host whose join failed carries no (working) overlay: it is not healthy, whatever its agent reports.
  const failed = s.hosts.filter((h) => h.state === 'Failed');
  if (failed.length > 0) {
    const message = `not carrying the overlay (join failed): ${names(failed)}`;
    return { type, status: 'False', reason: Reason.HostJoinFailed, message };
  }
  return { type, status: 'True', reason: Reason.AllHostsReporting, message: 'every host reports' };
}

export function overlayReconciledCondition(s: StatusSnapshot): ConditionInput {
  const type = ConditionType.OverlayReconciled;
  if (s.reconciling) {
    return { type, status: 'False', reason: Reason.Reconciling, message: 'pushing peer tables' };
  }
  if (s.reconcileFailures.length > 0) {
    const message = `peer table push failed on: ${listNames(s.reconcileFailures)}`;
    return { type, status: 'False', reason: Reason.ReconcileFailed, message };
  }
  return { type, status: 'True', reason: Reason.PeerTablesCurrent, message: 'every peer table is current' };
}

export function vipAssignedCondition(s: StatusSnapshot): ConditionInput {
  const type = ConditionType.VipAssigned;
  if (s.vipHolder !== null) {
    return { type, status: 'True', reason: Reason.VipHeld, message: `held by ${s.vipHolder}` };
  }
  if (!s.hosts.some((h) => h.role === 'control-plane')) {
    return { type, status: 'False', reason: Reason.NoControlPlane, message: 'no control-plane host' };
  }
  const message = 'no joined, healthy control-plane host';
  return { type, status: 'False', reason: Reason.NoHealthyControlPlane, message };
}

export function hostsResponsiveCondition(s: StatusSnapshot): ConditionInput {
  const type = ConditionType.HostsResponsive;
  const stalled = s.stalled ?? [];
  if (stalled.length > 0) {
    const message = `commands not answered in time: ${listNames(stalled)}`;
    return { type, status: 'False', reason: Reason.HostCommandStalled, message };
  }
  return {
    type,
    status: 'True',
    reason: Reason.CommandsAnswered,
    message: 'every host answers its commands',
  };
}

export function deletingCondition(s: StatusSnapshot): ConditionInput {
  const type = ConditionType.Deleting;
  return s.deleting
    ? { type, status: 'True', reason: Reason.DeletionRequested, message: 'tearing the overlay down' }
    : { type, status: 'False', reason: Reason.NotDeleting, message: '' };
}

export function readyCondition(phase: ClusterPhase): ConditionInput {
  const type = ConditionType.Ready;
  return phase === 'Ready'
    ? { type, status: 'True', reason: Reason.Ready, message: 'overlay is up on every host' }
    : { type, status: 'False', reason: Reason.NotReady, message: `phase ${phase}` };
}

/** Sets every condition on every visit (even when unchanged) so none is ever missing. */
export function computeConditions(
  s: StatusSnapshot,
  previous: readonly Condition[],
  now: string,
): Condition[] {
  const phase = computePhase(s);
  const inputs = [
    readyCondition(phase),
    hostsJoinedCondition(s),
    hostsHealthyCondition(s),
    overlayReconciledCondition(s),
    vipAssignedCondition(s),
    hostsResponsiveCondition(s),
    deletingCondition(s),
  ];
  return inputs.reduce<Condition[]>((list, c) => setCondition(list, c, now), [...previous]);
}
