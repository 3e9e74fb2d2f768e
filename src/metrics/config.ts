// The metrics flags and variables, shared by the agent, `dev` and the production commands:
//   --metrics-port N / EDGE_OVERLAY_METRICS_PORT         our /metrics (off when not given; `dev`: a free port)
//   --metrics-host ADDR / EDGE_OVERLAY_METRICS_HOST      its address (default 127.0.0.1: an edge box or a
//                                                        control-plane host exposes nothing by default)
//   --temporal-metrics-port N / EDGE_OVERLAY_TEMPORAL_METRICS_PORT   the Temporal SDK's own /metrics
//                                                        (the control worker; served by the SDK's core)
import { isIP } from 'node:net';
import { z } from 'zod';

export const metricsPortSchema = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a port number')
  .min(1, 'must be 1-65535')
  .max(65535, 'must be 1-65535');

export const metricsHostSchema = z
  .string()
  .refine((v) => isIP(v) !== 0, 'must be an IP address to listen on, e.g. 127.0.0.1 or 0.0.0.0');

export const METRICS_PORT_HELP =
  'serve Prometheus metrics at http://HOST:PORT/metrics (env EDGE_OVERLAY_METRICS_PORT)';
export const METRICS_HOST_HELP =
  'address of the metrics server (env EDGE_OVERLAY_METRICS_HOST, default 127.0.0.1: loopback only)';
export const TEMPORAL_METRICS_PORT_HELP =
  "the Temporal SDK's own Prometheus metrics on HOST:PORT/metrics (env EDGE_OVERLAY_TEMPORAL_METRICS_PORT)";

export interface MetricsEnv {
  EDGE_OVERLAY_METRICS_PORT?: number | undefined;
  EDGE_OVERLAY_METRICS_HOST?: string | undefined;
  EDGE_OVERLAY_TEMPORAL_METRICS_PORT?: number | undefined;
}

/** The environment's part of it, for the env schemas (agent and control plane). */
export const metricsEnvShape = {
  EDGE_OVERLAY_METRICS_PORT: metricsPortSchema.optional(),
  EDGE_OVERLAY_METRICS_HOST: metricsHostSchema.optional(),
  EDGE_OVERLAY_TEMPORAL_METRICS_PORT: metricsPortSchema.optional(),
};

export interface MetricsFlags {
  metricsPort?: number;
  metricsHost?: string;
  temporalMetricsPort?: number;
}

export interface MetricsConfig {
  /** Our /metrics: undefined = not served. */
  port: number | undefined;
  host: string;
  /** The Temporal SDK's: undefined = not served. */
  temporalPort: number | undefined;
}

/** Flags over environment (each already validated by its parser or schema). */
export function resolveMetricsConfig(flags: MetricsFlags, env: MetricsEnv): MetricsConfig {
  return {
    port: flags.metricsPort ?? env.EDGE_OVERLAY_METRICS_PORT,
    host: flags.metricsHost ?? env.EDGE_OVERLAY_METRICS_HOST ?? '127.0.0.1',
    temporalPort: flags.temporalMetricsPort ?? env.EDGE_OVERLAY_TEMPORAL_METRICS_PORT,
  };
}

/** host:port for the SDK's bindAddress (IPv6 in brackets). */
export const bindAddress = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
