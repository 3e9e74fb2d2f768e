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
  /** A host command still running after this long is reported (HostCommandStalled) and no longer waited
   * for: a VIP assignment moves on to the next candidate, a reconciliation round and a delete close without
   * it. The command itself keeps running within hostActivityTimeoutMs. */
  stallAfterMs: number;
  /** The events query and continue-as-new keep at most this many bytes of the newest events. */
  maxEventBytes: number;
}

export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = {
  heartbeatTimeoutMs: 45_000,
  continueAsNewAfterEvents: 4_000,
  reconcileDebounceMs: 500,
  hostActivityTimeoutMs: 120_000,
  maxEvents: 1_000,
  retryIntervalMs: 30_000,
  stallAfterMs: 10_000,
  maxEventBytes: 64 * 1024,
};

export function resolveClusterOptions(partial?: Partial<ClusterOptions>): ClusterOptions {
  const out = { ...DEFAULT_CLUSTER_OPTIONS };
  for (const [k, v] of Object.entries(partial ?? {})) {
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k as keyof ClusterOptions] = v;
  }
  return out;
}
