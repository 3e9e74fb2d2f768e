// Cluster API-style conditions: named types and reasons, and the one transition rule.
import type { Condition } from './types.js';

export const ConditionType = {
  Ready: 'Ready',
  HostsJoined: 'HostsJoined',
  HostsHealthy: 'HostsHealthy',
  OverlayReconciled: 'OverlayReconciled',
  VipAssigned: 'VipAssigned',
  HostsResponsive: 'HostsResponsive',
  Deleting: 'Deleting',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const Reason = {
  Ready: 'ClusterReady',
  NotReady: 'ClusterNotReady',
  AllHostsJoined: 'AllHostsJoined',
  HostsJoining: 'HostsJoining',
  HostJoinFailed: 'HostJoinFailed',
  AllHostsReporting: 'AllHostsReporting',
  HostLost: 'HostLost',
  PeerTablesCurrent: 'PeerTablesCurrent',
  Reconciling: 'Reconciling',
  ReconcileFailed: 'ReconcileFailed',
  VipHeld: 'VipHeld',
  NoHealthyControlPlane: 'NoHealthyControlPlane',
  NoControlPlane: 'NoControlPlane',
  VipHandover: 'VipHandover',
  DeletionRequested: 'DeletionRequested',
  NotDeleting: 'NotDeleting',
  CommandsAnswered: 'CommandsAnswered',
  HostCommandStalled: 'HostCommandStalled',
} as const;

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/** Replaces the condition of the same type; lastTransitionTime moves only when status changes. */
export function setCondition(list: readonly Condition[], next: ConditionInput, now: string): Condition[] {
  const prev = list.find((c) => c.type === next.type);
  const lastTransitionTime = prev && prev.status === next.status ? prev.lastTransitionTime : now;
  const updated: Condition = { ...next, lastTransitionTime };
  const rest = list.filter((c) => c.type !== next.type);
  return sortConditions([...rest, updated]);
}

const order: string[] = [
  ConditionType.Ready,
  ConditionType.HostsJoined,
  ConditionType.HostsHealthy,
  ConditionType.OverlayReconciled,
  ConditionType.VipAssigned,
  ConditionType.HostsResponsive,
  ConditionType.Deleting,
];

/** Ready first and Deleting last, like Cluster API's sort.go; unknown types after, by name. */
export function sortConditions(list: Condition[]): Condition[] {
  const rank = (t: string) => {
    const i = order.indexOf(t);
    return i < 0 ? order.length - 1 : i;
  };
  return [...list].sort((a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type));
}
