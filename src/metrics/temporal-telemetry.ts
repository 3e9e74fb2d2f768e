// The Temporal SDK's own metrics (worker task slots, poll and schedule-to-start latencies, activity and
// workflow failures…), served by the SDK's Rust core on its own port: they cannot join our registry, the
// core keeps and serves them itself. Given to Runtime.install, which must run before any Worker or
// NativeConnection exists (src/log.ts installs the runtime once per process).
import type { TelemetryOptions } from '@temporalio/worker';

/** Names the Grafana dashboard and the README use (metric prefix `temporal_`, durations in seconds). */
export const TEMPORAL_DASHBOARD_METRICS = [
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_workflow_task_execution_latency',
  'temporal_activity_execution_latency',
  'temporal_activity_execution_failed',
  'temporal_workflow_failed',
  'temporal_worker_task_slots_available',
  'temporal_sticky_cache_size',
  'temporal_num_pollers',
] as const;

/** Prometheus exposition of the core's metrics at http://<bindAddress>/metrics. */
export function temporalMetricsTelemetry(bindAddress: string): TelemetryOptions {
  // Seconds, as Prometheus expects of durations (and as our own histograms are).
  return { metrics: { prometheus: { bindAddress, useSecondsForDurations: true } } };
}
