// Configuration from the environment, validated once with a message per bad variable.
import { z } from 'zod';
import { DEFAULT_TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE } from '../domain/constants.js';
import { metricsEnvShape } from '../metrics/config.js';
import { absolutePathSchema, mqttsUrlSchema } from './broker-url.js';

/** HOST:PORT with a port in range; HOST is a name or IPv4 (no scheme). */
export const hostPortSchema = z.string().superRefine((v, ctx) => {
  const m = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  if (!m) ctx.addIssue({ code: 'custom', message: 'must be HOST:PORT, e.g. 127.0.0.1:7233' });
  else if (Number(m[2]) < 1 || Number(m[2]) > 65535)
    ctx.addIssue({ code: 'custom', message: 'port must be 1-65535' });
});

export const portSchema = z.coerce.number().int().min(1).max(65535);

/** Agent heartbeat interval in whole seconds (default DEFAULT_HEARTBEAT_INTERVAL_S in domain/constants). */
export const heartbeatIntervalSchema = z.coerce
  .number({ error: 'must be a number of seconds' })
  .int('must be whole seconds')
  .min(1, 'must be 1-300 seconds')
  .max(300, 'must be 1-300 seconds');

const envSchema = z.object({
  EDGE_OVERLAY_TEMPORAL: hostPortSchema.default(DEFAULT_TEMPORAL_ADDRESS),
  EDGE_OVERLAY_NAMESPACE: z.string().min(1).default(TEMPORAL_NAMESPACE),
  EDGE_OVERLAY_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  EDGE_OVERLAY_LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info'),
  EDGE_OVERLAY_LOG_FORMAT: z.enum(['json', 'pretty', 'auto']).default('auto'),
  /** Base URL of the Temporal Web UI, used to build `uiUrl` links. */
  EDGE_OVERLAY_UI_URL: z.url().optional(),
  EDGE_OVERLAY_API_HOST: z.string().min(1).default('127.0.0.1'),
  EDGE_OVERLAY_API_PORT: portSchema.optional(),
  /** Agent heartbeat interval, seconds (the `--heartbeat-interval` flag wins). */
  EDGE_OVERLAY_HEARTBEAT_INTERVAL: heartbeatIntervalSchema.optional(),
  // The production control plane (`worker`, `api`; see src/config/serve.ts, flags win)
  /** Product CA (ca.crt, ca.key), control certificate and revocation list; shared by worker and API. */
  EDGE_OVERLAY_PKI_DIR: z.string().min(1).optional(),
  /** How the control plane reaches the broker: mqtts://HOST:PORT. */
  EDGE_OVERLAY_BROKER_URL: mqttsUrlSchema.optional(),
  /** What agents are told to dial at enrollment: mqtts://HOST:PORT. */
  EDGE_OVERLAY_BROKER_ADVERTISE: mqttsUrlSchema.optional(),
  /** Where the API writes the broker's config, ACL, certificates and CRL (the broker's config volume). */
  EDGE_OVERLAY_BROKER_CONFIG_DIR: z.string().min(1).optional(),
  /** Where the broker listens, as written into its config (inside its container). */
  EDGE_OVERLAY_BROKER_LISTEN: hostPortSchema.optional(),
  /** The config dir and the session store as the broker process sees them (its container's mounts). */
  EDGE_OVERLAY_BROKER_CONFIG_PATH_IN: absolutePathSchema.optional(),
  EDGE_OVERLAY_BROKER_DATA_PATH_IN: absolutePathSchema.optional(),
  /** Metrics (src/metrics/config.ts; the flags win): our /metrics and the Temporal SDK's. */
  ...metricsEnvShape,
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  /** The CLI's exit code for a usage or validation error (src/cli/errors.ts). */
  readonly exitCode = 2;
  constructor(readonly problems: string[]) {
    // One line whatever the count: a container log keeps it as one entry, a terminal shows it whole.
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Variables whose value is a secret: an error names them but never echoes what they hold. */
const isSecret = (key: string): boolean => /TOKEN|KEY|PASSWORD|SECRET/.test(key);

/** Turns zod issues into "NAME: message (got 'value')" lines; a secret's value is never shown. */
export function formatIssues(issues: z.core.$ZodIssue[], source: Record<string, unknown>): string[] {
  return issues.map((issue) => {
    const key = issue.path.join('.');
    const shown = key && source[key] !== undefined && !isSecret(key);
    const got = shown ? ` (got '${String(source[key])}')` : '';
    return `${key || '(root)'}: ${issue.message}${got}`;
  });
}

export function loadEnv(env: NodeJS.ProcessEnv = process.env): Env {
  // Empty variables count as unset, as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues, present));
  return parsed.data;
}
