// How the control plane reaches Temporal: plain on loopback (the dev server), or a remote service over TLS,
// with mutual TLS (client certificate) or an API key (DESIGN.md v2, issue 12 point 6). Everything comes from
// the environment (flags win for the address only) and is validated with a message per bad variable; the
// key and the API key are read from files or the environment and never logged.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, formatIssues } from '../../config/env.js';

export interface TemporalTls {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

/** Options for Connection.connect and NativeConnection.connect (both take these fields). */
export interface TemporalConnectOptions {
  address: string;
  tls?: TemporalTls | true;
  apiKey?: string;
}

const file = z.string().min(1);
const tlsEnvSchema = z.object({
  EDGE_OVERLAY_TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  EDGE_OVERLAY_TEMPORAL_TLS_CA_FILE: file.optional(),
  EDGE_OVERLAY_TEMPORAL_TLS_CERT_FILE: file.optional(),
  EDGE_OVERLAY_TEMPORAL_TLS_KEY_FILE: file.optional(),
  EDGE_OVERLAY_TEMPORAL_TLS_SERVER_NAME: z.string().min(1).max(253).optional(),
  EDGE_OVERLAY_TEMPORAL_API_KEY: z.string().min(8, 'too short for an API key').optional(),
  EDGE_OVERLAY_TEMPORAL_API_KEY_FILE: file.optional(),
});

function read(name: string, path: string, problems: string[]): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    problems.push(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/** The connect options for `address` under the environment's TLS settings; throws ConfigError. */
export function temporalConnectOptions(
  address: string,
  env: NodeJS.ProcessEnv = process.env,
): TemporalConnectOptions {
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k.startsWith('EDGE_OVERLAY_TEMPORAL_') && v),
  );
  const parsed = tlsEnvSchema.safeParse(present);
  // API keys must not end up in an error message: formatIssues echoes values, so blank it first.
  if (!parsed.success)
    throw new ConfigError(
      formatIssues(parsed.error.issues, { ...present, EDGE_OVERLAY_TEMPORAL_API_KEY: undefined }),
    );
  const e = parsed.data;
  const problems: string[] = [];
  if (e.EDGE_OVERLAY_TEMPORAL_TLS_CERT_FILE && !e.EDGE_OVERLAY_TEMPORAL_TLS_KEY_FILE)
    problems.push('EDGE_OVERLAY_TEMPORAL_TLS_KEY_FILE: needed with EDGE_OVERLAY_TEMPORAL_TLS_CERT_FILE');
  if (e.EDGE_OVERLAY_TEMPORAL_TLS_KEY_FILE && !e.EDGE_OVERLAY_TEMPORAL_TLS_CERT_FILE)
    problems.push('EDGE_OVERLAY_TEMPORAL_TLS_CERT_FILE: needed with EDGE_OVERLAY_TEMPORAL_TLS_KEY_FILE');
  if (e.EDGE_OVERLAY_TEMPORAL_API_KEY && e.EDGE_OVERLAY_TEMPORAL_API_KEY_FILE)
    problems.push('EDGE_OVERLAY_TEMPORAL_API_KEY / _FILE: give one');
  const tls: TemporalTls = {};
  if (e.EDGE_OVERLAY_TEMPORAL_TLS_SERVER_NAME)
    tls.serverNameOverride = e.EDGE_OVERLAY_TEMPORAL_TLS_SERVER_NAME;
  if (e.EDGE_OVERLAY_TEMPORAL_TLS_CA_FILE) {
    const ca = read('EDGE_OVERLAY_TEMPORAL_TLS_CA_FILE', e.EDGE_OVERLAY_TEMPORAL_TLS_CA_FILE, problems);
    if (ca) tls.serverRootCACertificate = ca;
  }
  if (e.EDGE_OVERLAY_TEMPORAL_TLS_CERT_FILE && e.EDGE_OVERLAY_TEMPORAL_TLS_KEY_FILE) {
    const crt = read('EDGE_OVERLAY_TEMPORAL_TLS_CERT_FILE', e.EDGE_OVERLAY_TEMPORAL_TLS_CERT_FILE, problems);
    const key = read('EDGE_OVERLAY_TEMPORAL_TLS_KEY_FILE', e.EDGE_OVERLAY_TEMPORAL_TLS_KEY_FILE, problems);
    if (crt && key) tls.clientCertPair = { crt, key };
  }
  let apiKey = e.EDGE_OVERLAY_TEMPORAL_API_KEY;
  if (e.EDGE_OVERLAY_TEMPORAL_API_KEY_FILE) {
    apiKey = read('EDGE_OVERLAY_TEMPORAL_API_KEY_FILE', e.EDGE_OVERLAY_TEMPORAL_API_KEY_FILE, problems)
      ?.toString('utf8')
      .trim();
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const wantsTls =
    e.EDGE_OVERLAY_TEMPORAL_TLS === 'true' || Object.keys(tls).length > 0 || apiKey !== undefined;
  if (e.EDGE_OVERLAY_TEMPORAL_TLS === 'false' && (Object.keys(tls).length > 0 || apiKey))
    throw new ConfigError([
      'EDGE_OVERLAY_TEMPORAL_TLS=false: but TLS files or an API key are set (an API key needs TLS)',
    ]);
  if (!wantsTls) return { address };
  return { address, tls: Object.keys(tls).length > 0 ? tls : true, ...(apiKey ? { apiKey } : {}) };
}
