// Liveness from heartbeats: a Joined host silent for longer than the heartbeat timeout is Lost. Pure: the
// current time is passed in.
import type { HostState } from './types.js';

export interface LivenessHost {
  hostId: string;
  state: HostState;
  /** ISO time of the last heartbeat; null counts as the epoch (never seen). */
  lastSeen: string | null;
}

export const lastSeenMs = (h: LivenessHost): number => (h.lastSeen ? Date.parse(h.lastSeen) : 0);

/** Joined hosts silent since `nowMs - timeoutMs` or earlier, in the given order. */
export function lostHostIds(hosts: readonly LivenessHost[], nowMs: number, timeoutMs: number): string[] {
  const cutoff = nowMs - timeoutMs;
  return hosts.filter((h) => h.state === 'Joined' && lastSeenMs(h) <= cutoff).map((h) => h.hostId);
}

/** Earliest time a Joined host will be declared Lost, or null when none can be. */
export function nextLivenessDeadline(hosts: readonly LivenessHost[], timeoutMs: number): number | null {
  const joined = hosts.filter((h) => h.state === 'Joined');
  if (joined.length === 0) return null;
  return Math.min(...joined.map(lastSeenMs)) + timeoutMs;
}
