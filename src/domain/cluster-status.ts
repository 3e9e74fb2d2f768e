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
  /** Since 'phase-settled' (decided once per cluster): what the phase remembers of the cluster's past.
   * Absent: the rule before it. */
  settled?: PhaseHistory;
}

/** Facts carried across continue-as-new: holderSeen and wasReady are set once and never cleared. */
export interface PhaseHistory {
  /** A VIP holder was recorded: from then on a missing one is a fault (Degraded), not the first election. */
  holderSeen: boolean;
  /** The cluster was Ready: from then on hosts being added do not change the phase. */
  wasReady: boolean;
  /** The last change of the VIP record was a planned release (isPlannedRelease): the hosts are handing the
   * VIP over, so a missing holder is the next one not reported yet. Cleared when a holder is recorded. */
  handover: boolean;
}

export const newPhaseHistory = (): PhaseHistory => ({ holderSeen: false, wasReady: false, handover: false });

/**
 * Releases that are the start of a handover, not a loss: the holder stepped down for a better-ranked host
 * (Outranked), or because the policy no longer lets it hold (NotEligible: removed or demoted), or its elector
 * stopped (Stopped: its teardown); HolderRemoved is the workflow's own record of a removed holder whose
 * report can no longer be taken. The next holder's claim comes some 0.3-0.5 s later (issue 13). Any other
 * reason (QuorumLost, LeaseExpired, Conflict, …) means the site could not keep the VIP: a fault.
 */
const PLANNED_RELEASES: ReadonlySet<string> = new Set([
  'Outranked',
  'NotEligible',
  'Stopped',
  'HolderRemoved',
]);
export const isPlannedRelease = (reason: string): boolean => PLANNED_RELEASES.has(reason);

const isJoining = (h: { state: HostState }) => h.state === 'Pending' || h.state === 'Joining';

export function computePhase(s: StatusSnapshot): ClusterPhase {
  if (s.deleting) return 'Deleting';
  if (s.initializing) return 'Provisioning';
  if (s.settled?.wasReady) return phaseAfterReady(s, s.settled);
  if (s.hosts.some(isJoining)) return 'Provisioning';
  if (s.reconciling) return 'Recovering';
  if (s.tablesPending) return 'Provisioning';
  // Right after the first joins the hosts' own election takes about a second to report a holder, and a
  // first holder is often handed over to a better-ranked one that joined later: the VIP is still being
  // provisioned then, not lost (before 'phase-settled' that showed as Degraded).
  const awaited = s.settled !== undefined && holderAwaited(s.settled);
  if (degraded(s, !awaited)) return 'Degraded';
  return awaited && holderMissing(s) ? 'Provisioning' : 'Ready';
}

/** No holder is expected yet: none was ever recorded, or the last one released it for the next. */
const holderAwaited = (past: PhaseHistory): boolean => !past.holderSeen || past.handover;

/**
 * Once Ready, hosts being added (Pending, Joining) are left out: HostsJoined and their own state report
 * them, so an add never flips a healthy cluster. Pending peer tables are left out too: after Ready they
 * come from a membership change (the newcomers to the members, the full table to a newcomer), while an
 * underlay change shows as Recovering (reconciling) and a push that failed or stalled as Degraded.
 * A holder never recorded (the cluster's first control-plane host was just added) or being handed over is
 * VipAssigned's to report.
 */
function phaseAfterReady(s: StatusSnapshot, past: PhaseHistory): ClusterPhase {
  if (s.reconciling) return 'Recovering';
  return degraded({ ...s, hosts: s.hosts.filter((h) => !isJoining(h)) }, !holderAwaited(past))
    ? 'Degraded'
    : 'Ready';
}

/** A control-plane host is Joined and nobody holds the VIP. */
const holderMissing = (s: StatusSnapshot): boolean =>
  s.vipHolder === null && s.hosts.some((h) => h.role === 'control-plane' && h.state === 'Joined');

function degraded(s: StatusSnapshot, holderRequired: boolean): boolean {
  return (
    s.hosts.some((h) => h.state === 'Failed' || h.state === 'Lost') ||
    s.reconcileFailures.length > 0 ||
    (s.stalled?.length ?? 0) > 0 ||
    (holderRequired && holderMissing(s))
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
  const joining = s.hosts.filter(isJoining);
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
  if (s.settled?.handover) {
    // False all the same: nobody answers on the VIP until the next holder claims it.
    const message = 'the holder released it for another: waiting for the next holder';
    return { type, status: 'False', reason: Reason.VipHandover, message };
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
