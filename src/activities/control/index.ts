// Control-side activities (run by the control worker on task queue `edge-overlay`).
// Factories over injected dependencies, so tests pass their own client and logger.
import type { Client } from '@temporalio/client';

export interface ControlDeps {
  client: Client;
}

export function createControlActivities(_deps: ControlDeps) {
  return {};
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
