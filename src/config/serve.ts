// What `edge-overlay worker` and `edge-overlay api` run with: flags over environment, every value validated,
// every problem named with its flag and variable (one ConfigError listing all of them, exit 2).
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_API_PORT } from '../domain/constants.js';
import { absolutePathSchema, brokerUrlParts, mqttsUrlSchema } from './broker-url.js';
import { ConfigError, type Env, hostPortSchema, portSchema } from './env.js';

export interface WorkerFlags {
  temporal?: string;
  pkiDir?: string;
  broker?: string;
}

export interface ApiFlags extends WorkerFlags {
  host?: string;
  port?: string;
  tokenFile?: string;
  brokerAdvertise?: string;
  brokerConfigDir?: string;
  brokerListen?: string;
  brokerConfigPathIn?: string;
  brokerDataPathIn?: string;
}

export interface WorkerConfig {
  temporal: string;
  namespace: string;
  /** Absolute. */
  pkiDir: string;
  /** mqtts://HOST:PORT the control plane dials. */
  brokerUrl: string;
}

export interface ApiConfig extends WorkerConfig {
  host: string;
  port: number;
  /** mqtts://HOST:PORT agents are told at enrollment. */
  brokerAdvertise: string;
  /** Absolute: where this process writes the broker's files. */
  brokerConfigDir: string;
  /** The broker's listener as written into its config. */
  brokerListen: { host: string; port: number };
  /** brokerConfigDir and the broker's session store as the broker process sees them. */
  brokerConfigPathIn: string;
  brokerDataPathIn: string;
}

/** Inside the eclipse-mosquitto container of docker-compose.yml. */
export const BROKER_CONTAINER_DEFAULTS = {
  listen: '0.0.0.0:8883',
  configPathIn: '/mosquitto/config',
  dataPathIn: '/mosquitto/data',
} as const;

/** Why the v2 commands cannot run without the broker, said once for every missing broker option. */
const NEEDS_BROKER = 'the v2 control plane reaches the hosts only through the broker';

type Problems = string[];

type Fallback<T> = { default: T } | { required: string };

/** The flag's value (validated here), else the environment's (validated by loadEnv), else the fallback:
 * a default, or a problem saying why the value is required. */
function pick<T>(
  problems: Problems,
  o: { flag: string; envName: string; schema: z.ZodType<T, string> },
  flagValue: string | undefined,
  envValue: T | undefined,
  fallback: Fallback<T>,
): T | undefined {
  if (flagValue !== undefined) {
    const parsed = o.schema.safeParse(flagValue);
    if (parsed.success) return parsed.data;
    problems.push(`${o.flag}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got '${flagValue}')`);
    return undefined;
  }
  if (envValue !== undefined) return envValue;
  if ('default' in fallback) return fallback.default;
  problems.push(`${o.flag} (or ${o.envName}): required: ${fallback.required}`);
  return undefined;
}

/** A directory of this process: a relative one is taken from the working directory. */
const dirSchema = z.string().min(1, 'must be a directory');

function common(problems: Problems, flags: WorkerFlags, env: Env) {
  const temporal = pick(
    problems,
    { flag: '--temporal', envName: 'EDGE_OVERLAY_TEMPORAL', schema: hostPortSchema },
    flags.temporal,
    env.EDGE_OVERLAY_TEMPORAL,
    { default: env.EDGE_OVERLAY_TEMPORAL },
  );
  const pkiDir = pick(
    problems,
    { flag: '--pki-dir', envName: 'EDGE_OVERLAY_PKI_DIR', schema: dirSchema },
    flags.pkiDir,
    env.EDGE_OVERLAY_PKI_DIR,
    { required: 'the product CA and the control certificate live there (made on first start)' },
  );
  const brokerUrl = pick(
    problems,
    { flag: '--broker', envName: 'EDGE_OVERLAY_BROKER_URL', schema: mqttsUrlSchema },
    flags.broker,
    env.EDGE_OVERLAY_BROKER_URL,
    { required: NEEDS_BROKER },
  );
  return { temporal, pkiDir: pkiDir && resolve(pkiDir), brokerUrl, namespace: env.EDGE_OVERLAY_NAMESPACE };
}

export function resolveWorkerConfig(flags: WorkerFlags, env: Env): WorkerConfig {
  const problems: Problems = [];
  const c = common(problems, flags, env);
  if (problems.length > 0) throw new ConfigError(problems);
  return c as WorkerConfig;
}

export function resolveApiConfig(flags: ApiFlags, env: Env): ApiConfig {
  const problems: Problems = [];
  const c = common(problems, flags, env);
  const port = pick(
    problems,
    { flag: '--port', envName: 'EDGE_OVERLAY_API_PORT', schema: portSchema as z.ZodType<number, string> },
    flags.port,
    env.EDGE_OVERLAY_API_PORT,
    { default: DEFAULT_API_PORT },
  );
  const brokerAdvertise = pick(
    problems,
    { flag: '--broker-advertise', envName: 'EDGE_OVERLAY_BROKER_ADVERTISE', schema: mqttsUrlSchema },
    flags.brokerAdvertise,
    env.EDGE_OVERLAY_BROKER_ADVERTISE,
    { required: `${NEEDS_BROKER}; agents are told this address at enrollment` },
  );
  const brokerConfigDir = pick(
    problems,
    { flag: '--broker-config-dir', envName: 'EDGE_OVERLAY_BROKER_CONFIG_DIR', schema: dirSchema },
    flags.brokerConfigDir,
    env.EDGE_OVERLAY_BROKER_CONFIG_DIR,
    { required: `${NEEDS_BROKER}; its config, certificates and CRL are written there` },
  );
  const listen = pick(
    problems,
    { flag: '--broker-listen', envName: 'EDGE_OVERLAY_BROKER_LISTEN', schema: hostPortSchema },
    flags.brokerListen,
    env.EDGE_OVERLAY_BROKER_LISTEN,
    { default: BROKER_CONTAINER_DEFAULTS.listen },
  );
  const configPathIn = pick(
    problems,
    {
      flag: '--broker-config-path-in',
      envName: 'EDGE_OVERLAY_BROKER_CONFIG_PATH_IN',
      schema: absolutePathSchema,
    },
    flags.brokerConfigPathIn,
    env.EDGE_OVERLAY_BROKER_CONFIG_PATH_IN,
    { default: BROKER_CONTAINER_DEFAULTS.configPathIn },
  );
  const dataPathIn = pick(
    problems,
    {
      flag: '--broker-data-path-in',
      envName: 'EDGE_OVERLAY_BROKER_DATA_PATH_IN',
      schema: absolutePathSchema,
    },
    flags.brokerDataPathIn,
    env.EDGE_OVERLAY_BROKER_DATA_PATH_IN,
    { default: BROKER_CONTAINER_DEFAULTS.dataPathIn },
  );
  if (problems.length > 0) throw new ConfigError(problems);
  const listenUrl = brokerUrlParts(`mqtts://${listen}`);
  return {
    ...(c as WorkerConfig),
    host: flags.host ?? env.EDGE_OVERLAY_API_HOST,
    port: port!,
    brokerAdvertise: brokerAdvertise!,
    brokerConfigDir: resolve(brokerConfigDir!),
    brokerListen: listenUrl,
    brokerConfigPathIn: configPathIn!,
    brokerDataPathIn: dataPathIn!,
  };
}
