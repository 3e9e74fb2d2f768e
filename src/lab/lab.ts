// The lab: N edge hosts as network namespaces on one L2 switch (a bridge in its own namespace),
// underlay addresses from a real dnsmasq in another namespace, a control namespace with a static
// address outside every pool that forwards to the control plane on the root loopback (DESIGN.md
// "Test lab": agents reach the API and the broker over the underlay; control-access.ts), and an agent
// per host (lab-agent.ts).
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import {
  clearLeases,
  currentAddress,
  startDnsmasq,
  startUdhcpcMany,
  waitForLease,
  writeUdhcpcHook,
} from './dhcp.js';
import {
  addBridge,
  claimNetns,
  cleanupLab,
  createNetns,
  plugVeth,
  setStaticAddress,
  setUpNetns,
  stopPid,
} from './netns.js';
import {
  LAB_STATE_VERSION,
  type LabHost,
  type LabState,
  loadLabState,
  saveLabState,
  type TrackedPid,
} from './state.js';

export const LAB_MAX_HOSTS = 60;
const SUBNET = '10.213.0';
const POOLS: Array<[string, string]> = [
  [`${SUBNET}.100`, `${SUBNET}.169`],
  [`${SUBNET}.170`, `${SUBNET}.239`],
];

export interface CreateLabOptions {
  hosts: number;
  runDir: string;
  /** Underlay from DHCP (default); otherwise static addresses .100+i. */
  dhcp?: boolean;
  /** Host ids are `<prefix><i>`; default `h<i>-<lab id>` so concurrent labs never share ids. */
  hostIdPrefix?: string;
  /** Namespaces are `<nsPrefix>-sw|dhcp|ctl|h<i>`; default `eo-<lab id>`. The switch namespace is made
   * first, as a claim: when it exists already, createLab throws LabClaimedError and touches nothing. */
  nsPrefix?: string;
  /** A CLI lab's name and the registry copy of its state (names.ts). */
  name?: string;
  registryFile?: string;
  /** Empty the run dir once the claim is won (it may hold files of an earlier lab of the same name). */
  freshRunDir?: boolean;
}

/** The lab's switch namespace exists: another lab of that name holds it (or left it behind). */
export class LabClaimedError extends Error {
  constructor(readonly ns: string) {
    super(`network namespace ${ns} exists already`);
    this.name = 'LabClaimedError';
  }
}

const namesFor = (prefix: string) => ({
  switchNs: `${prefix}-sw`,
  bridge: 'br0',
  dhcpNs: `${prefix}-dhcp`,
  ctlNs: `${prefix}-ctl`,
});

/** Builds switch, DHCP and control namespaces and N DHCP hosts; waits for every lease. */
export async function createLab(o: CreateLabOptions): Promise<LabState> {
  if (!Number.isInteger(o.hosts) || o.hosts < 1 || o.hosts > LAB_MAX_HOSTS)
    throw new Error(`--hosts must be 1..${LAB_MAX_HOSTS}`);
  const id = randomBytes(2).toString('hex');
  const nsPrefix = o.nsPrefix ?? `eo-${id}`;
  const names = namesFor(nsPrefix);
  if (!(await claimNetns(names.switchNs))) throw new LabClaimedError(names.switchNs);
  const state: LabState = {
    version: LAB_STATE_VERSION,
    id,
    runDir: o.runDir,
    ...names,
    subnetPrefix: SUBNET,
    prefixLength: 24,
    ctlIp: `${SUBNET}.2`,
    dhcpIp: `${SUBNET}.3`,
    dhcp: o.dhcp !== false,
    pools: POOLS,
    activePool: 0,
    hosts: [],
    extra: [],
    ...(o.name ? { name: o.name } : {}),
    ...(o.registryFile ? { registryFile: o.registryFile } : {}),
  };
  try {
    if (o.freshRunDir) rmSync(o.runDir, { recursive: true, force: true });
    mkdirSync(o.runDir, { recursive: true });
    saveLabState(state);
    await setUpNetns(state.switchNs);
    await addBridge(state.switchNs, state.bridge);
    for (const [ns, port, ip] of [
      [state.ctlNs, `v${id}c`, state.ctlIp],
      [state.dhcpNs, `v${id}d`, state.dhcpIp],
    ] as const) {
      await createNetns(ns);
      await plugVeth({
        switchNs: state.switchNs,
        bridge: state.bridge,
        switchPort: port,
        hostNs: ns,
        hostIface: 'eth0',
      });
      await setStaticAddress(ns, 'eth0', `${ip}/${state.prefixLength}`);
    }
    for (let i = 1; i <= o.hosts; i++) {
      const host: LabHost = {
        hostId: o.hostIdPrefix ? `${o.hostIdPrefix}${i}` : `h${i}-${id}`,
        ns: `${nsPrefix}-h${i}`,
        iface: 'eth0',
        switchPort: `v${id}h${i}`,
        mac: `02:00:0a:d5:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      };
      // recorded before it is made: a failure half-way still deletes it
      state.hosts.push(host);
      saveLabState(state);
      await createNetns(host.ns);
      await plugVeth({
        switchNs: state.switchNs,
        bridge: state.bridge,
        switchPort: host.switchPort,
        hostNs: host.ns,
        hostIface: host.iface,
        mac: host.mac,
      });
      if (!state.dhcp) {
        host.staticIp = `${SUBNET}.${99 + i}`;
        await setStaticAddress(host.ns, host.iface, `${host.staticIp}/${state.prefixLength}`);
      }
      saveLabState(state);
    }
    if (state.dhcp) {
      state.hookPath = writeUdhcpcHook(state.runDir);
      await startDhcpServer(state);
      await startDhcpClients(state, state.hosts);
      await Promise.all(state.hosts.map((h) => waitForLease(h.ns, h.iface, { timeoutMs: 30_000 })));
    }
    return state;
  } catch (err) {
    await destroyLab(state, { keepRunDir: true });
    throw err;
  }
}

export async function startDhcpServer(state: LabState): Promise<void> {
  const [start, end] = state.pools[state.activePool]!;
  const server = await startDnsmasq({
    ns: state.dhcpNs,
    iface: 'eth0',
    rangeStart: start,
    rangeEnd: end,
    runDir: state.runDir,
  });
  state.dnsmasq = { pid: server.pid, comm: 'dnsmasq' };
  saveLabState(state);
}

export async function stopDhcpServer(state: LabState, opts: { clearLeases?: boolean } = {}): Promise<void> {
  if (state.dnsmasq) await stopPid(state.dnsmasq.pid, { expectComm: 'dnsmasq', graceMs: 3000 });
  delete state.dnsmasq;
  if (opts.clearLeases) clearLeases(state.runDir);
  saveLabState(state);
}

/** Every host's DHCP client at once (one spawn from this process: see startUdhcpcMany). */
export async function startDhcpClients(state: LabState, hosts: readonly LabHost[]): Promise<void> {
  const hookPath = state.hookPath;
  if (!hookPath) throw new Error('lab has no DHCP');
  const clients = await startUdhcpcMany(
    hosts.map((h) => ({ ns: h.ns, iface: h.iface, hostId: h.hostId, runDir: state.runDir, hookPath })),
  );
  hosts.forEach((h, i) => {
    h.udhcpc = { pid: clients[i]!.pid, comm: 'udhcpc' };
  });
  saveLabState(state);
}

export async function stopDhcpClient(
  state: LabState,
  host: LabHost,
  o: { save?: boolean } = {},
): Promise<void> {
  if (host.udhcpc) await stopPid(host.udhcpc.pid, { expectComm: 'udhcpc', graceMs: 2000 });
  delete host.udhcpc;
  if (o.save !== false) saveLabState(state);
}

/** Current underlay address of every host (null while it has none). */
export async function underlayAddresses(state: LabState): Promise<Record<string, string | null>> {
  const entries = await Promise.all(
    state.hosts.map(async (h) => [h.hostId, await currentAddress(h.ns, h.iface)] as const),
  );
  return Object.fromEntries(entries);
}

/** Remembers a process started in the lab so destroyLab stops it. */
export function trackPid(state: LabState, p: TrackedPid): void {
  state.extra.push(p);
  saveLabState(state);
}

/** Every process the state records (comm checked when stopped). */
export function recordedPids(state: LabState): TrackedPid[] {
  return [
    ...state.hosts.flatMap((h) => [h.agent, h.udhcpc]),
    state.dnsmasq,
    ...(state.control?.pids ?? []),
    ...(state.plane?.pids ?? []),
    ...state.extra,
  ].filter((p): p is TrackedPid => p !== undefined);
}

/** Every namespace of the lab, the switch last (it holds the other ends of the veths). */
export const labNamespaces = (state: LabState): string[] => [
  ...state.hosts.map((h) => h.ns),
  state.dhcpNs,
  state.ctlNs,
  state.switchNs,
];

/** Stops every recorded PID (comm checked), then deletes every lab namespace and the registry copy.
 * Never throws. */
export async function destroyLab(state: LabState, opts: { keepRunDir?: boolean } = {}): Promise<void> {
  await cleanupLab({
    processes: recordedPids(state).map((p) => ({ pid: p.pid, expectComm: p.comm })),
    namespaces: labNamespaces(state),
  });
  if (state.registryFile) rmSync(state.registryFile, { force: true });
  if (!opts.keepRunDir) rmSync(state.runDir, { recursive: true, force: true });
}

export { loadLabState, saveLabState };
export { type ControlTargets, startControlAccess, stopControlAccess } from './control-access.js';
export { type LabAgentOptions, startAgent, stopAgent } from './lab-agent.js';
