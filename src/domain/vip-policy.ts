// Where the VIP goes first. Joins settle in any order, so without this the first control-plane host to
// finish would take it; waiting keeps the initial holder the first healthy control-plane host by hostId.
import type { HostRole, HostState } from './types.js';

interface VipHost {
  role: HostRole;
  state: HostState;
}

/**
 * True while the VIP has never been placed (no holder, no control-plane host Lost) and a control-plane host
 * is still joining. A move away from a lost or removed holder never waits.
 */
export function initialVipWaits(hosts: readonly VipHost[], vipHolder: string | null): boolean {
  if (vipHolder !== null) return false;
  const controlPlane = hosts.filter((h) => h.role === 'control-plane');
  return controlPlane.some((h) => h.state === 'Joining') && !controlPlane.some((h) => h.state === 'Lost');
}

/**
 * Why the VIP moves to a new holder (the `reason` of VipMoved): 'Initial' when it had none, else after the
 * previous holder's state ('HolderLost', …), 'HolderRemoved' when that host is gone. Since
 * 'control-plane-truth' a Removing holder also counts as removed; runs before it (`removingIsRemoved`
 * false) said 'HolderRemoving'.
 */
export function vipMoveReason(
  previous: string | null,
  holderState: HostState | undefined,
  removingIsRemoved = true,
): string {
  if (previous === null) return 'Initial';
  if (holderState === undefined || (removingIsRemoved && holderState === 'Removing')) return 'HolderRemoved';
  return `Holder${holderState}`;
}
