// `edge-overlay agent --host-id ID --underlay-iface IF --api URL [--broker mqtts://HOST:PORT]
// [--join-token T | --join-token-file F] [--state-dir DIR]` (DESIGN.md): enrolls once with the join token
// (also EDGE_OVERLAY_JOIN_TOKEN), then runs on the key and certificate in its state dir until
// SIGTERM/SIGINT. Flags win over the environment. No Temporal or admin credentials, ever.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config/env.js';
import { zodParser } from '../config/flag-parsers.js';
import { hostIdSchema, ifaceNameSchema } from '../domain/validation.js';
import { createLogger } from '../logger.js';
import { createAgentMetrics } from '../metrics/agent-metrics.js';
import {
  METRICS_HOST_HELP,
  METRICS_PORT_HELP,
  type MetricsFlags,
  metricsEnvShape,
  metricsHostSchema,
  metricsPortSchema,
  resolveMetricsConfig,
} from '../metrics/config.js';
import { type MetricsServer, serveMetricsFlag } from '../metrics/server.js';
import { type Agent, type AgentOptions, startAgent } from './agent.js';

export const DEFAULT_STATE_DIR = '/var/lib/edge-overlay';

export interface AgentFlags extends Omit<MetricsFlags, 'temporalMetricsPort'> {
  hostId: string;
  underlayIface: string;
  api: string;
  broker?: string;
  joinToken?: string;
  joinTokenFile?: string;
  stateDir?: string;
  /** JSON lines only: logs as JSON whatever EDGE_OVERLAY_LOG_FORMAT says, plus `ready`/`stopped` events. */
  json?: boolean;
}

const apiUrlSchema = z.url({
  protocol: /^https?$/,
  error: 'must be an http(s) URL, e.g. http://10.0.0.2:8080',
});
const brokerUrlSchema = z.url({
  protocol: /^mqtts$/,
  error: 'must be an mqtts:// URL, e.g. mqtts://10.0.0.2:8883',
});
const joinTokenSchema = z
  .string()
  .min(16, 'join token too short (at least 16 characters)')
  .max(200, 'join token too long')
  .regex(/^[A-Za-z0-9_-]+$/, 'join token has characters a token never has (copy it again)');

const agentEnvSchema = z.object({
  EDGE_OVERLAY_JOIN_TOKEN: joinTokenSchema.optional(),
  EDGE_OVERLAY_LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info'),
  EDGE_OVERLAY_LOG_FORMAT: z.enum(['json', 'pretty', 'auto']).default('auto'),
  EDGE_OVERLAY_METRICS_PORT: metricsEnvShape.EDGE_OVERLAY_METRICS_PORT,
  EDGE_OVERLAY_METRICS_HOST: metricsEnvShape.EDGE_OVERLAY_METRICS_HOST,
});
export type AgentEnv = z.infer<typeof agentEnvSchema>;

export function loadAgentEnv(env: NodeJS.ProcessEnv = process.env): AgentEnv {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = agentEnvSchema.safeParse(present);
  // Never echo the value: it may be the join token.
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return parsed.data;
}

export type AgentConfig = Pick<
  AgentOptions,
  'hostId' | 'underlayIface' | 'apiUrl' | 'brokerUrl' | 'joinToken' | 'stateDir'
>;

/** Flags over environment. The token comes from --join-token, --join-token-file or the environment. */
export function resolveAgentConfig(flags: AgentFlags, env: AgentEnv): AgentConfig {
  if (flags.joinToken && flags.joinTokenFile)
    throw new ConfigError(['--join-token and --join-token-file: give one']);
  if (flags.joinToken !== undefined) {
    const parsed = joinTokenSchema.safeParse(flags.joinToken);
    if (!parsed.success) throw new ConfigError([`--join-token: ${parsed.error.issues[0]?.message}`]);
  }
  let joinToken = flags.joinToken ?? env.EDGE_OVERLAY_JOIN_TOKEN;
  if (flags.joinTokenFile) {
    let text: string;
    try {
      text = readFileSync(flags.joinTokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError([
        `--join-token-file: cannot read ${flags.joinTokenFile} (${(err as NodeJS.ErrnoException).code ?? err})`,
      ]);
    }
    const parsed = joinTokenSchema.safeParse(text);
    if (!parsed.success) throw new ConfigError([`--join-token-file: ${parsed.error.issues[0]?.message}`]);
    joinToken = parsed.data;
  }
  return {
    hostId: flags.hostId,
    underlayIface: flags.underlayIface,
    apiUrl: flags.api,
    ...(flags.broker ? { brokerUrl: flags.broker } : {}),
    ...(joinToken ? { joinToken } : {}),
    stateDir: resolve(flags.stateDir ?? DEFAULT_STATE_DIR),
  };
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description(
      'run the host agent: enrolls once, then serves its commands over the broker (no Temporal credentials)',
    )
    .requiredOption('--host-id <id>', 'this host id (DNS label)', zodParser(hostIdSchema))
    .requiredOption('--underlay-iface <if>', 'underlay interface, e.g. eth0', zodParser(ifaceNameSchema))
    .requiredOption(
      '--api <url>',
      'API base URL (enrollment), e.g. http://10.0.0.2:8080',
      zodParser(apiUrlSchema),
    )
    .option('--broker <url>', "broker URL (default: the API's host, port 8883)", zodParser(brokerUrlSchema))
    // No commander parser here: commander's error for a refused value quotes it, and this one is a secret.
    // resolveAgentConfig checks it and names only the flag.
    .option(
      '--join-token <token>',
      'single-use join token (or env EDGE_OVERLAY_JOIN_TOKEN); only for the first start',
    )
    .option('--join-token-file <file>', 'read the join token from this file')
    .option('--state-dir <dir>', `key, certificate and overlay state (default ${DEFAULT_STATE_DIR})`)
    .option('--metrics-port <port>', `${METRICS_PORT_HELP}; off by default`, zodParser(metricsPortSchema))
    .option('--metrics-host <addr>', METRICS_HOST_HELP, zodParser(metricsHostSchema))
    .option(
      '--json',
      'JSON lines only: logs as JSON, then {"event":"ready",…} once it serves commands and {"event":"stopped",…}',
    )
    .action(async (flags: AgentFlags) => {
      const env = loadAgentEnv();
      const config = resolveAgentConfig(flags, env);
      const log = createLogger({
        level: env.EDGE_OVERLAY_LOG_LEVEL,
        format: flags.json ? 'json' : env.EDGE_OVERLAY_LOG_FORMAT,
        name: 'edge-overlay-agent',
      });
      // For supervisors and scripts: one line each, on stdout beside the JSON logs, told apart by "event".
      const emit = (event: Record<string, unknown>) => {
        if (flags.json) process.stdout.write(`${JSON.stringify(event)}\n`);
      };
      // Listening from the start: a SIGTERM while the agent is still starting must stop it cleanly too.
      const signal = stopSignal();
      // An agent that cannot enroll yet retries until the API answers: a SIGTERM must end that wait too.
      const starting = new AbortController();
      void signal.received.then(() => starting.abort());
      // Metrics only when asked for: off, the agent records nothing and listens on nothing.
      const served = resolveMetricsConfig(flags, env);
      const metrics = served.port !== undefined ? createAgentMetrics(config.hostId) : undefined;
      let metricsServer: MetricsServer | undefined;
      let agent: Agent;
      try {
        if (metrics && served.port !== undefined) {
          metricsServer = await serveMetricsFlag([metrics.registry], served.host, served.port);
          log.info({ url: metricsServer.url }, 'serving metrics');
        }
        agent = await startAgent({
          ...config,
          log,
          signal: starting.signal,
          ...(metrics ? { metrics } : {}),
        });
      } catch (err) {
        signal.dispose();
        await metricsServer?.close();
        if (starting.signal.aborted) {
          log.info({ signal: await signal.received }, 'stopped before the agent had started');
          return;
        }
        throw err;
      }
      emit({
        event: 'ready',
        hostId: config.hostId,
        stateDir: config.stateDir,
        reapplied: agent.reapplied,
        metricsUrl: metricsServer?.url ?? null,
      });
      const received = await signal.received;
      log.info({ signal: received }, 'stopping agent (the overlay stays up)');
      try {
        await agent.stop();
      } catch (err) {
        log.error({ err }, 'agent stop failed');
      }
      await metricsServer?.close();
      emit({ event: 'stopped', signal: received });
      setTimeout(() => {
        log.warn('still running 3 s after stop; exiting');
        process.exit();
      }, 3000).unref();
    });
}

/** The first SIGINT/SIGTERM; later ones are ignored (never the default, fatal action) while stopping. */
function stopSignal(): { received: Promise<string>; dispose(): void } {
  let resolveSignal: (signal: string) => void = () => undefined;
  const received = new Promise<string>((r) => {
    resolveSignal = r;
  });
  const onInt = () => resolveSignal('SIGINT');
  const onTerm = () => resolveSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    received,
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
