// `edge-overlay agent --host-id ID --underlay-iface IF [--temporal HOST:PORT] [--api URL] [--state-dir DIR]
// [--token-file FILE] [--heartbeat-interval SECONDS]`: runs the host agent until SIGTERM/SIGINT.
// Flags win over the environment.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { z } from 'zod';
import { type Agent, type AgentOptions, startAgent } from '../agent/agent.js';
import { ConfigError, type Env, heartbeatIntervalSchema, loadEnv } from '../config/env.js';
import { DEFAULT_HEARTBEAT_INTERVAL_S } from '../domain/constants.js';
import { resolveToken } from '../config/token.js';
import { hostIdSchema, ifaceNameSchema } from '../domain/validation.js';
import { createLogger, installTemporalLogger } from '../log.js';
import { parseHostPort, zodParser } from './options.js';

export const DEFAULT_STATE_DIR = '/var/lib/edge-overlay';

export interface AgentFlags {
  hostId: string;
  underlayIface: string;
  temporal?: string;
  api?: string;
  stateDir?: string;
  tokenFile?: string;
  heartbeatInterval?: number;
}

const apiUrlSchema = z.url({
  protocol: /^https?$/,
  error: 'must be an http(s) URL, e.g. http://10.0.0.2:8080',
});

/** What the flags and environment decide; the rest of AgentOptions is wired by the command. */
export type AgentConfig = Pick<
  AgentOptions,
  'hostId' | 'underlayIface' | 'temporalAddress' | 'namespace' | 'stateDir' | 'api'
> & { heartbeatMs: number };

/** Flags over environment; the API token is needed only with --api. */
export function resolveAgentConfig(flags: AgentFlags, env: Env): AgentConfig {
  const api = flags.api
    ? {
        url: flags.api,
        token: resolveToken({ tokenFile: flags.tokenFile, envToken: env.EDGE_OVERLAY_TOKEN }).token,
      }
    : undefined;
  if (!api && flags.tokenFile) throw new ConfigError(['--token-file: only used together with --api']);
  return {
    hostId: flags.hostId,
    underlayIface: flags.underlayIface,
    temporalAddress: flags.temporal ?? env.EDGE_OVERLAY_TEMPORAL,
    namespace: env.EDGE_OVERLAY_NAMESPACE,
    stateDir: resolve(flags.stateDir ?? DEFAULT_STATE_DIR),
    ...(api ? { api } : {}),
    heartbeatMs:
      (flags.heartbeatInterval ?? env.EDGE_OVERLAY_HEARTBEAT_INTERVAL ?? DEFAULT_HEARTBEAT_INTERVAL_S) * 1000,
  };
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('run the host agent: host activities on task queue host/<id>, underlay watch, state file')
    .requiredOption('--host-id <id>', 'this host id (DNS label)', zodParser(hostIdSchema))
    .requiredOption('--underlay-iface <if>', 'underlay interface, e.g. eth0', zodParser(ifaceNameSchema))
    .option(
      '--temporal <host:port>',
      'Temporal frontend (env EDGE_OVERLAY_TEMPORAL, default 127.0.0.1:7233)',
      parseHostPort,
    )
    .option(
      '--api <url>',
      'API base URL: registration fallback while Temporal is unreachable',
      zodParser(apiUrlSchema),
    )
    .option('--state-dir <dir>', `local state folder (default ${DEFAULT_STATE_DIR})`)
    .option('--token-file <file>', 'API bearer token file (or env EDGE_OVERLAY_TOKEN)')
    .option(
      '--heartbeat-interval <seconds>',
      `seconds between heartbeats, 1-300 (env EDGE_OVERLAY_HEARTBEAT_INTERVAL, default ${DEFAULT_HEARTBEAT_INTERVAL_S}); keep it well under the cluster's heartbeat timeout`,
      zodParser(heartbeatIntervalSchema),
    )
    .action(async (flags: AgentFlags) => {
      const env = loadEnv();
      const config = resolveAgentConfig(flags, env);
      const log = createLogger({
        level: env.EDGE_OVERLAY_LOG_LEVEL,
        format: env.EDGE_OVERLAY_LOG_FORMAT,
        name: 'edge-overlay-agent',
      });
      installTemporalLogger(log);
      // Listening from the start: a SIGTERM while the agent is still starting (re-applying the
      // overlay, preflight) must stop it cleanly too, not kill it with the default action.
      const signal = stopSignal();
      let agent: Agent;
      try {
        agent = await startAgent({ ...config, log });
      } catch (err) {
        signal.dispose();
        throw err;
      }
      log.info({ signal: await signal.received }, 'stopping agent (the overlay stays up)');
      try {
        await agent.stop();
      } catch (err) {
        log.error({ err }, 'agent stop failed');
      }
      // Everything is stopped; a handle that cannot be aborted (a connect in flight) must not keep
      // the process up.
      setTimeout(() => {
        log.warn('still running 3 s after stop; exiting');
        process.exit();
      }, 3000).unref();
    });
}

/** The first SIGINT/SIGTERM; later ones are ignored (never the default, fatal action) while stopping. */
function stopSignal(): { received: Promise<string>; dispose(): void } {
  let resolve: (signal: string) => void = () => undefined;
  const received = new Promise<string>((r) => {
    resolve = r;
  });
  const onInt = () => resolve('SIGINT');
  const onTerm = () => resolve('SIGTERM');
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
