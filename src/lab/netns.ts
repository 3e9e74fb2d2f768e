// Lab primitives: namespaces, an L2 bridge in its own namespace, veths into host namespaces, static
// addresses, and processes inside namespaces tracked by their real PID. Used by tests and `edge-overlay lab`.
// The root namespace never gains a link or an address.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cidrSchema } from '../domain/validation.js';
import {
  addrReplace,
  processRunner,
  inNetns,
  linkAdd,
  linkSetAddress,
  linkSetMaster,
  linkSetMtu,
  linkSetUp,
  netnsAdd,
  netnsDel,
  netnsList,
  sysctlSet,
  type Runner,
} from '../net/index.js';

/** ip netns add NAME; lo up; IPv6 off (keeps the L2 quiet: no RS/ND/DAD, REPORT pitfall 10). */
export async function createNetns(name: string, r: Runner = processRunner): Promise<void> {
  await netnsAdd(r, name);
  await setUpNetns(name, r);
}

/**
 * `ip netns add NAME` as a claim: false when NAME already exists. The kernel's exclusive create makes it
 * atomic, so of two `lab up` of one name exactly one gets the lab (even from two checkouts).
 */
export async function claimNetns(name: string, r: Runner = processRunner): Promise<boolean> {
  if ((await netnsList(r)).includes(name)) return false;
  try {
    await netnsAdd(r, name);
    return true;
  } catch (err) {
    if ((await netnsList(r)).includes(name)) return false;
    throw err;
  }
}

/** PIDs of the processes inside NS (`ip netns pids`); empty when it is gone. */
export async function netnsPids(name: string, r: Runner = processRunner): Promise<number[]> {
  try {
    const { stdout } = await r.run('ip', ['netns', 'pids', name]);
    return stdout.split(/\s+/).filter(Boolean).map(Number).filter(Number.isInteger);
  } catch {
    return [];
  }
}

/** lo up and IPv6 off in a namespace just made. */
export async function setUpNetns(name: string, r: Runner = processRunner): Promise<void> {
  await linkSetUp(r, 'lo', name);
  await sysctlSet(
    r,
    { 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv6.conf.default.disable_ipv6': '1' },
    name,
  );
}

/** Deletes the namespace (and every link in it) if it exists; never throws. */
export async function deleteNetns(name: string, r: Runner = processRunner): Promise<void> {
  try {
    if ((await netnsList(r)).includes(name)) await netnsDel(r, name);
  } catch {
    // cleanup must never throw
  }
}

/** A namespace holding one up bridge: the lab's "switch". */
export async function createL2Switch(ns: string, bridge: string, r: Runner = processRunner): Promise<void> {
  await createNetns(ns, r);
  await addBridge(ns, bridge, r);
}

/** The switch's bridge inside a namespace that exists already (claimNetns + setUpNetns). */
export async function addBridge(ns: string, bridge: string, r: Runner = processRunner): Promise<void> {
  await linkAdd(r, { kind: 'bridge', name: bridge }, ns);
  await linkSetUp(r, bridge, ns);
}

export interface VethPlug {
  switchNs: string;
  bridge: string;
  /** Port name on the switch side (unique per lab, ≤ 15 chars). */
  switchPort: string;
  hostNs: string;
  /** Interface name inside the host namespace, e.g. eth0. */
  hostIface: string;
  mac?: string;
  mtu?: number;
}

/** A veth from the switch namespace into a host namespace, enslaved to the bridge, both ends up. */
export async function plugVeth(p: VethPlug, r: Runner = processRunner): Promise<void> {
  await linkAdd(r, { kind: 'veth', name: p.switchPort, peer: p.hostIface, peerNetns: p.hostNs }, p.switchNs);
  await linkSetMaster(r, p.switchPort, p.bridge, p.switchNs);
  if (p.mtu !== undefined) {
    await linkSetMtu(r, p.switchPort, p.mtu, p.switchNs);
    await linkSetMtu(r, p.hostIface, p.mtu, p.hostNs);
  }
  if (p.mac) await linkSetAddress(r, p.hostIface, p.mac, p.hostNs);
  await linkSetUp(r, p.switchPort, p.switchNs);
  await linkSetUp(r, p.hostIface, p.hostNs);
}

/** A static address `A.B.C.D/N` on DEV inside NS (ip addr replace). */
export async function setStaticAddress(ns: string, dev: string, cidr: string, r: Runner = processRunner) {
  const [ip, prefix] = cidrSchema.parse(cidr).split('/') as [string, string];
  await addrReplace(r, dev, ip, Number(prefix), ns);
}

export interface NetnsProcess {
  pid: number;
  ns: string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout+stderr go here (appended); otherwise they are discarded. */
  logFile?: string;
}

/**
 * Runs `ip netns exec NS cmd args...` in its own session. `ip netns exec` execs the command in place
 * (no fork) and Node's detached spawn calls setsid() itself, so the child's PID is the daemon's real PID
 * (unlike `setsid` from a shell, REPORT pitfall 5). We wait until the exec happened before returning.
 */
export async function spawnInNetns(
  ns: string,
  cmd: string,
  args: string[],
  opts: SpawnOptions = {},
): Promise<NetnsProcess> {
  const [file, argv] = inNetns(ns, cmd, args);
  const fd = opts.logFile ? openSync(opts.logFile, 'a') : undefined;
  const child = spawn(file, argv, {
    detached: true,
    stdio: ['ignore', fd ?? 'ignore', fd ?? 'ignore'],
    env: opts.env ?? process.env,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  if (fd !== undefined) closeSync(fd);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${cmd} in netns ${ns}`);
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && processComm(pid) === 'ip') await sleep(10);
  return { pid, ns, exited };
}

/** /proc/PID/comm, or null when the process is gone. */
export function processComm(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Running and not a zombie (REPORT pitfall 5: orphans are reaped late here). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to graceMs, then SIGKILL; only if /proc/PID/comm still matches expectComm. Never throws. */
export async function stopPid(
  pid: number,
  opts: { expectComm?: string; graceMs?: number } = {},
): Promise<void> {
  try {
    if (!isAlive(pid)) return;
    const comm = processComm(pid);
    if (opts.expectComm && (comm === null || !comm.startsWith(opts.expectComm))) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + (opts.graceMs ?? 15_000);
    while (Date.now() < deadline && isAlive(pid)) await sleep(25);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Stops the processes (by PID) then deletes the namespaces; every step is attempted, nothing throws. */
export async function cleanupLab(
  items: { processes?: Array<{ pid: number; expectComm?: string }>; namespaces?: string[] },
  r: Runner = processRunner,
): Promise<void> {
  await Promise.all((items.processes ?? []).map((p) => stopPid(p.pid, { expectComm: p.expectComm })));
  for (const ns of items.namespaces ?? []) await deleteNetns(ns, r);
}
