// Control-side activities (run by the control worker on task queue `edge-overlay`).
// Factories over injected dependencies, so tests pass their own client and logger.
import type { Client } from '@temporalio/client';
import { createHostRegistryActivities } from './hosts.js';

export interface ControlDeps {
  client: Client;
}

export function createControlActivities(deps: ControlDeps) {
  return { ...createHostRegistryActivities(deps.client) };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
export type { ClaimResult } from './hosts.js';
