// `edge-overlay agent` inside a lab host's namespace, as an operator would run it (DESIGN.md v2): the lab
// asks the API (admin token, root loopback) for a single-use join token, hands it over in a 0600 file in
// the run dir, and the agent enrolls through the control namespace and then runs on its own key and
// certificate. The agent process gets no admin token and no Temporal address, ever.
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from '../cli/api-client.js';
import { agentNodeFlags } from '../agent/node-flags.js';
import { repoRoot } from '../dev/paths.js';
import { spawnInNetns, stopPid } from './netns.js';
import { type LabHost, type LabState, saveLabState } from './state.js';

/** The edge-host agent's own node flags (the #! line of its entry, src/agent/node-flags.ts), so the lab and
 * the e2e tests run what a host runs; EDGE_OVERLAY_AGENT_NODE_FLAGS overrides them for experiments. Read when
 * an agent starts, not at import: the compiled CLI imports this module too, far from bin/. */
const agentFlags = (): string[] =>
  process.env.EDGE_OVERLAY_AGENT_NODE_FLAGS !== undefined
    ? process.env.EDGE_OVERLAY_AGENT_NODE_FLAGS.split(' ').filter(Boolean)
    : agentNodeFlags();

export interface LabAgentOptions {
  /** The API on the root loopback with the admin token: issues the join tokens. */
  api: ApiClient;
  /** Agent log level (EDGE_OVERLAY_LOG_LEVEL); the log goes to <run dir>/<hostId>.agent.log. */
  logLevel?: string;
  /** Extra CLI arguments for `edge-overlay agent`. */
  args?: string[];
  /** An installed agent instead of the repo's entry (test/e2e/agent-bundle.test.ts). */
  launcher?: AgentLauncher;
}

export interface AgentLauncher {
  /** Runs instead of `node <flags> bin/edge-overlay-agent.js`, the agent's flags after it: the bundle's
   * bin/edge-overlay-agent, maybe behind `setpriv` dropping root as the systemd unit does. */
  command: string[];
  cwd?: string;
  /** A non-root agent: its state dir and join-token file become this user's (as the install docs say). */
  owner?: { uid: number; gid: number };
}

export const agentStateDir = (state: LabState, host: LabHost): string =>
  join(state.runDir, 'agents', host.hostId);
export const agentLogFile = (state: LabState, host: LabHost): string =>
  join(state.runDir, `${host.hostId}.agent.log`);
const joinTokenFile = (state: LabState, host: LabHost): string =>
  join(state.runDir, 'agents', `${host.hostId}.join-token`);

/** A join token in a 0600 file, unless the agent already holds a certificate (a restart needs none). */
async function joinTokenArgs(state: LabState, host: LabHost, api: ApiClient): Promise<string[]> {
  if (existsSync(join(agentStateDir(state, host), 'host.crt'))) return [];
  const { token } = await api.issueJoinToken(host.hostId);
  const file = joinTokenFile(state, host);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an older file keeps its mode through writeFileSync
  return ['--join-token-file', file];
}

/** Starts the host's agent (lean entry, same flags as `edge-overlay agent`) and records its PID. */
export async function startAgent(state: LabState, host: LabHost, o: LabAgentOptions): Promise<void> {
  if (!state.control) throw new Error('start the control access before the agents');
  mkdirSync(join(state.runDir, 'agents'), { recursive: true, mode: 0o700 });
  const stateDir = agentStateDir(state, host);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const token = await joinTokenArgs(state, host, o.api);
  const owner = o.launcher?.owner;
  if (owner) {
    chmodSync(join(state.runDir, 'agents'), 0o711); // traversable, not listable
    const tokenFile = token[1]; // ['--join-token-file', file] or none (enrolled before)
    for (const p of tokenFile ? [stateDir, tokenFile] : [stateDir]) chownSync(p, owner.uid, owner.gid);
  }
  // the edge-host entry: only the agent's modules are loaded (20 agents share 2 cores with DHCP)
  const [cmd, ...entry] = o.launcher?.command ?? [
    process.execPath,
    ...agentFlags(),
    join(repoRoot, 'bin', 'edge-overlay-agent.js'),
  ];
  const proc = await spawnInNetns(
    host.ns,
    cmd!,
    [
      ...entry,
      '--host-id',
      host.hostId,
      '--underlay-iface',
      host.iface,
      '--api',
      state.control.apiUrl,
      '--broker',
      state.control.brokerUrl,
      ...token,
      '--state-dir',
      stateDir,
      ...(o.args ?? []),
    ],
    {
      env: {
        PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: process.env['HOME'] ?? '/root',
        EDGE_OVERLAY_LOG_FORMAT: 'json',
        EDGE_OVERLAY_LOG_LEVEL: o.logLevel ?? 'info',
        // bench:agent runs a compiled build (see bin/edge-overlay-agent.js)
        ...(process.env.EDGE_OVERLAY_AGENT_MAIN
          ? { EDGE_OVERLAY_AGENT_MAIN: process.env.EDGE_OVERLAY_AGENT_MAIN }
          : {}),
      },
      logFile: agentLogFile(state, host),
      ...(o.launcher?.cwd ? { cwd: o.launcher.cwd } : {}),
    },
  );
  host.agent = { pid: proc.pid, comm: 'node' };
  saveLabState(state);
}

/** SIGTERM to the host's agent (by PID, comm checked); its overlay stays up, as on a real host. */
export async function stopAgent(state: LabState, host: LabHost): Promise<void> {
  if (host.agent) await stopPid(host.agent.pid, { expectComm: host.agent.comm, graceMs: 10_000 });
  delete host.agent;
  saveLabState(state);
}
