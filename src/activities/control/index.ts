// Control-side activities (run by the control worker on task queue `edge-overlay`).
// Factories over injected dependencies, so tests pass their own client and logger.
import type { Client } from '@temporalio/client';
import { createHostRegistryActivities, type MembershipHook } from './hosts.js';

export interface ControlDeps {
  client: Client;
  /** Called after a successful claim (cluster) or release (null) of a host. */
  onMembership?: MembershipHook;
}

export function createControlActivities(deps: ControlDeps) {
  return { ...createHostRegistryActivities(deps.client, deps.onMembership) };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
export type { ClaimResult, MembershipHook } from './hosts.js';
