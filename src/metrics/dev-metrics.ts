// `edge-overlay dev`'s metrics: the control worker and the API run in the one process, so one registry
// and one /metrics page carry both; the Temporal SDK's metrics are on their own port (its core serves them).
import { assertPortFree } from '../dev/process.js';
import { createApiMetrics } from './api-metrics.js';
import { createControlMetrics } from './control-metrics.js';
import { Registry } from './registry.js';
import { DEFAULT_METRICS_HOST, startMetricsServer } from './server.js';

export interface DevMetrics {
  /** Our /metrics (worker + API). */
  url: string;
  /** The Temporal SDK's /metrics. */
  temporalUrl: string;
  recorders: { control: ReturnType<typeof createControlMetrics>; api: ReturnType<typeof createApiMetrics> };
  close(): Promise<void>;
}

/** Port 0: a free one. A taken port is a PortInUseError naming `metrics` (dev maps it to its flag). */
export async function startDevMetrics(port: number, temporalPort: number): Promise<DevMetrics> {
  if (port !== 0) await assertPortFree('metrics', DEFAULT_METRICS_HOST, port);
  const registry = new Registry();
  const recorders = { control: createControlMetrics(registry), api: createApiMetrics(registry) };
  const server = await startMetricsServer({ registries: [registry], host: DEFAULT_METRICS_HOST, port });
  return {
    url: server.url,
    temporalUrl: `http://${DEFAULT_METRICS_HOST}:${temporalPort}/metrics`,
    recorders,
    close: server.close,
  };
}

export function devMetricsBanner(m: DevMetrics | undefined): string[] {
  if (!m) return ['  Metrics:          off (--no-metrics)'];
  return [
    `  Metrics:          ${m.url}   (control worker + API; Grafana: deploy/grafana/edge-overlay.json)`,
    `  Temporal metrics: ${m.temporalUrl}   (Temporal SDK)`,
  ];
}
