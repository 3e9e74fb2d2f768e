// Tunables of the cluster workflow, carried in its input so tests can shrink them; defaults live here once.
export interface ClusterOptions {
  /** A joined host that sends no heartbeat for this long is Lost (and loses the VIP). */
  heartbeatTimeoutMs: number;
  /** Continue as new once history reaches this many events (or when the server suggests it). */
  continueAsNewAfterEvents: number;
  /** Underlay changes arriving within this window are reconciled together. */
  reconcileDebounceMs: number;
  /** Upper bound (schedule-to-close) for one host activity including retries. */
  hostActivityTimeoutMs: number;
  /** The events query keeps this many most recent events. */
  maxEvents: number;
  /** How soon a failed peer push or VIP assignment is tried again. */
  retryIntervalMs: number;
}

export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = {
  heartbeatTimeoutMs: 45_000,
  continueAsNewAfterEvents: 4_000,
  reconcileDebounceMs: 500,
  hostActivityTimeoutMs: 120_000,
  maxEvents: 1_000,
  retryIntervalMs: 30_000,
};

export function resolveClusterOptions(partial?: Partial<ClusterOptions>): ClusterOptions {
  const out = { ...DEFAULT_CLUSTER_OPTIONS };
  for (const [k, v] of Object.entries(partial ?? {})) {
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k as keyof ClusterOptions] = v;
  }
  return out;
}
