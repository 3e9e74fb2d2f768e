// `lab up --name N`: a lab that owns everything it uses (state dir, namespace prefix, Temporal with its SQLite
// file, broker, ports, API token) and removes everything it made when any step fails or is interrupted.
// The switch namespace is made first as the claim (lab.ts): a second `up` of a running name gets nothing.
import { randomBytes } from 'node:crypto';
import { chownSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { ApiClient } from '../cli/api-client.js';
import type { ControlPlane } from '../dev/control-plane.js';
import { assertPortFree } from '../dev/process.js';
import { ipv4Schema } from '../domain/validation.js';
import { installTemporalLogger } from '../log.js';
import { labBrokerAdvertise, startControlAccess } from './control-access.js';
import { LAB_EXIT, LabError } from './errors.js';
import { createLab, destroyLab, LabClaimedError } from './lab.js';
import { agentLogFile, startAgent } from './lab-agent.js';
import { controlTargets, type LoopbackPlaneOptions, startLoopbackControlPlane } from './loopback-plane.js';
import { type LabPaths, labPaths } from './names.js';
import { isAlive, processComm } from './netns.js';
import { findLab, liveOwner } from './registry.js';
import { type LabState, readLabStateFile, saveLabState, stateFile } from './state.js';

export interface UpOptions {
  name: string;
  labsDir: string;
  hosts: number;
  dhcp: boolean;
  agents: boolean;
  apiPort?: number;
  uiPort?: number;
  logLevel?: string;
  env?: NodeJS.ProcessEnv;
  /** Ctrl-C while starting: stop at the next step and remove what was made. */
  signal?: AbortSignal;
}

export interface RunningLab {
  paths: LabPaths;
  state: LabState;
  plane: ControlPlane;
  /** Settles when the control worker stopped on its own. */
  done: Promise<void>;
  teardown(): Promise<void>;
}

export const HOST_ID_PREFIX = 'edge-';
export const CONTROL_LOG = 'control.log';

/** Refuses a name that is taken before anything is made: a clear message instead of a failed claim. */
async function assertFree(o: UpOptions, paths: LabPaths): Promise<void> {
  const found = await findLab(o.name, o.labsDir, o.env);
  if (!found) return;
  const owner = liveOwner(found);
  const api = found.states[0]?.plane?.apiUrl;
  if (owner)
    throw new LabError(
      `lab '${o.name}' is already running (lab up PID ${owner.pid}${api ? `, API ${api}` : ''}): ` +
        `pick another --name, or stop it first with: lab down --name ${o.name}`,
      LAB_EXIT.conflict,
    );
  if (found.namespaces.length > 0 || found.states.length > 0)
    throw new LabError(
      `lab '${o.name}' is starting, or left namespaces or processes behind ` +
        `(${found.namespaces.join(', ') || paths.stateDir}); if no lab up of that name runs, remove them ` +
        `with: lab down --name ${o.name}`,
      LAB_EXIT.conflict,
    );
}

async function assertPortsFree(o: UpOptions): Promise<void> {
  for (const [flag, port] of [
    ['--api-port', o.apiPort],
    ['--ui-port', o.uiPort],
  ] as const) {
    if (!port) continue;
    await assertPortFree(flag, '127.0.0.1', port).catch((err: Error) => {
      throw new LabError(`${err.message}: pick another ${flag}`, LAB_EXIT.conflict);
    });
  }
}

/** A token of this lab only, in a 0600 file; given to the user who ran sudo so the CLI works without it. */
function writeToken(stateDir: string, env: NodeJS.ProcessEnv): { token: string; file: string } {
  const token = randomBytes(24).toString('base64url');
  const file = join(stateDir, 'api-token');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  if (Number.isInteger(uid) && uid > 0 && Number.isInteger(gid)) chownSync(file, uid, gid);
  return { token, file };
}

/** Resolves when every agent is online with an underlay address (its own report); rejects as soon as one
 * exits (its log says why). One loop, no timer left behind: a failed `up` exits at once. */
async function waitForAgents(api: ApiClient, state: LabState, signal?: AbortSignal): Promise<void> {
  const timeoutMs = 30_000 + state.hosts.length * 3000;
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(state.hosts.map((h) => h.hostId));
  while (pending.size > 0) {
    signal?.throwIfAborted();
    const dead = state.hosts.find((h) => h.agent && !isAlive(h.agent.pid));
    if (dead) throw new Error(`the agent of ${dead.hostId} exited (see ${agentLogFile(state, dead)})`);
    if (Date.now() > deadline)
      throw new Error(
        `agents not online after ${timeoutMs / 1000} s: ${[...pending].join(', ')} (see their logs)`,
      );
    const hosts = await api.listHosts().catch(() => []);
    for (const r of hosts)
      if (r.online !== false && ipv4Schema.safeParse(r.underlayIp).success) pending.delete(r.hostId);
    await sleep(250);
  }
}

/** Deletes the state dir but its logs (kept to tell why `up` failed; the next `up` of the name clears them). */
function removeAllButLogs(dir: string): void {
  try {
    for (const f of readdirSync(dir))
      if (!f.endsWith('.log')) rmSync(join(dir, f), { recursive: true, force: true });
  } catch {
    // nothing there
  }
}

export async function upLab(o: UpOptions): Promise<RunningLab> {
  const env = o.env ?? process.env;
  const paths = labPaths(o.name, o.labsDir, env);
  await assertFree(o, paths);
  await assertPortsFree(o);
  let state: LabState;
  try {
    state = await createLab({
      hosts: o.hosts,
      runDir: paths.stateDir,
      dhcp: o.dhcp,
      hostIdPrefix: HOST_ID_PREFIX,
      nsPrefix: paths.nsPrefix,
      name: o.name,
      registryFile: paths.registryFile,
      freshRunDir: true,
    });
  } catch (err) {
    if (err instanceof LabClaimedError)
      throw new LabError(`lab '${o.name}' was started by another lab up just now`, LAB_EXIT.conflict);
    removeAllButLogs(paths.stateDir);
    throw upFailed(err, paths, o.signal);
  }
  let plane: ControlPlane | undefined;
  let torn: Promise<void> | undefined;
  const mem = state;
  const teardown = (keepLogs = false) =>
    (torn ??= (async () => {
      await plane?.stop();
      // `lab outage` (another process) changes PIDs in lab.json: read it, if it is still this lab's
      const disk = readLabStateFile(stateFile(paths.stateDir));
      await destroyLab(disk?.id === mem.id ? disk : mem, { keepRunDir: keepLogs });
      if (keepLogs) removeAllButLogs(paths.stateDir);
    })());
  try {
    state.owner = { pid: process.pid, comm: processComm(process.pid) ?? 'node' };
    saveLabState(state);
    o.signal?.throwIfAborted();
    const token = writeToken(paths.stateDir, env);
    const log = pino(
      { name: 'edge-overlay', level: o.logLevel ?? 'info' },
      pino.destination({ dest: join(paths.stateDir, CONTROL_LOG), sync: true }),
    );
    installTemporalLogger(log);
    plane = await startPlane(o, {
      dataDir: join(paths.stateDir, 'control'),
      token: token.token,
      log,
      brokerAdvertise: labBrokerAdvertise(state),
      ...(o.apiPort ? { apiPort: o.apiPort } : {}),
      ...(o.uiPort ? { uiPort: o.uiPort } : {}),
    });
    state.plane = {
      apiUrl: plane.apiUrl,
      uiUrl: plane.uiUrl,
      temporalAddress: plane.temporal.address,
      brokerUrl: plane.broker.url,
      tokenFile: token.file,
      pids: [plane.temporal.pid, plane.broker.pid].map((pid) => ({ pid, comm: processComm(pid) ?? '' })),
    };
    saveLabState(state);
    o.signal?.throwIfAborted();
    await startControlAccess(state, controlTargets(plane));
    const api = new ApiClient({ baseUrl: plane.apiUrl, token: token.token });
    // each agent enrolls with its own single-use join token; none gets the admin token
    if (o.agents) {
      for (const h of state.hosts) {
        o.signal?.throwIfAborted();
        await startAgent(state, h, { api });
      }
      await waitForAgents(api, state, o.signal);
    }
  } catch (err) {
    await teardown(true);
    throw upFailed(err, paths, o.signal);
  }
  return { paths, state, plane, done: plane.workerDone, teardown: () => teardown(false) };
}

/** A free port picked for the plane can be taken by another process before the plane binds it (other
 * labs and tests start beside this one): then the plane, which stopped what it started, is tried again. */
async function startPlane(o: UpOptions, opts: LoopbackPlaneOptions): Promise<ControlPlane> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLoopbackControlPlane(opts);
    } catch (err) {
      const raced = /EADDRINUSE|already in use/.test((err as Error).message);
      if (!raced || attempt >= 3) throw err;
      o.signal?.throwIfAborted();
    }
  }
}

function upFailed(err: unknown, paths: LabPaths, signal?: AbortSignal): Error {
  if (err instanceof LabError) return err;
  if (signal?.aborted)
    return new LabError(
      `lab '${paths.name}' interrupted while starting: everything it made was removed`,
      LAB_EXIT.interrupted,
    );
  return new LabError(
    `lab up failed: ${(err as Error).message}\n  everything it made was removed; logs: ${paths.stateDir}/*.log`,
    LAB_EXIT.failed,
  );
}
