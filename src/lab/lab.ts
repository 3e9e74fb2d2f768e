// The lab: N edge hosts as network namespaces on one L2 switch (a bridge in its own namespace),
// underlay addresses from a real dnsmasq in another namespace, a control namespace with a static
// address outside every pool that forwards to the control plane on the root loopback (DESIGN.md
// "Test lab": agents reach Temporal and the API over the underlay), and an agent per host.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_API_PORT, DEFAULT_TEMPORAL_PORT } from '../domain/constants.js';
import { repoRoot } from '../dev/paths.js';
import { startControlForwarder } from './control-forwarder.js';
import {
  clearLeases,
  currentAddress,
  startDnsmasq,
  startUdhcpc,
  waitForLease,
  writeUdhcpcHook,
} from './dhcp.js';
import {
  cleanupLab,
  createL2Switch,
  createNetns,
  plugVeth,
  setStaticAddress,
  spawnInNetns,
  stopPid,
} from './netns.js';
import { type LabHost, type LabState, loadLabState, saveLabState, type TrackedPid } from './state.js';

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
}

const namesFor = (id: string) => ({
  switchNs: `eo-${id}-sw`,
  bridge: 'br0',
  dhcpNs: `eo-${id}-dhcp`,
  ctlNs: `eo-${id}-ctl`,
});

/** Builds switch, DHCP and control namespaces and N DHCP hosts; waits for every lease. */
export async function createLab(o: CreateLabOptions): Promise<LabState> {
  if (!Number.isInteger(o.hosts) || o.hosts < 1 || o.hosts > LAB_MAX_HOSTS)
    throw new Error(`--hosts must be 1..${LAB_MAX_HOSTS}`);
  const id = randomBytes(2).toString('hex');
  mkdirSync(o.runDir, { recursive: true });
  const names = namesFor(id);
  const state: LabState = {
    version: 1,
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
  };
  saveLabState(state);
  try {
    await createL2Switch(state.switchNs, state.bridge);
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
        ns: `eo-${id}-h${i}`,
        iface: 'eth0',
        switchPort: `v${id}h${i}`,
        mac: `02:00:0a:d5:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      };
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
      state.hosts.push(host);
      saveLabState(state);
    }
    if (state.dhcp) {
      state.hookPath = writeUdhcpcHook(state.runDir);
      await startDhcpServer(state);
      for (const host of state.hosts) await startDhcpClient(state, host);
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

export async function startDhcpClient(state: LabState, host: LabHost): Promise<void> {
  if (!state.hookPath) throw new Error('lab has no DHCP');
  const client = await startUdhcpc({
    ns: host.ns,
    iface: host.iface,
    hostId: host.hostId,
    runDir: state.runDir,
    hookPath: state.hookPath,
  });
  host.udhcpc = { pid: client.pid, comm: 'udhcpc' };
  saveLabState(state);
}

export async function stopDhcpClient(state: LabState, host: LabHost): Promise<void> {
  if (host.udhcpc) await stopPid(host.udhcpc.pid, { expectComm: 'udhcpc', graceMs: 2000 });
  delete host.udhcpc;
  saveLabState(state);
}

/** Current underlay address of every host (null while it has none). */
export async function underlayAddresses(state: LabState): Promise<Record<string, string | null>> {
  const entries = await Promise.all(
    state.hosts.map(async (h) => [h.hostId, await currentAddress(h.ns, h.iface)] as const),
  );
  return Object.fromEntries(entries);
}

export interface ControlTargets {
  /** Root-loopback ports of the control plane. */
  temporalPort: number;
  apiPort: number;
}

/** socat forwarders: ctlIp:7233 → Temporal, ctlIp:8080 → API (both on the root loopback). */
export async function startControlAccess(state: LabState, t: ControlTargets): Promise<void> {
  const temporal = await startControlForwarder({
    ctlNs: state.ctlNs,
    ctlIp: state.ctlIp,
    listenPort: DEFAULT_TEMPORAL_PORT,
    targetPort: t.temporalPort,
  });
  const api = await startControlForwarder({
    ctlNs: state.ctlNs,
    ctlIp: state.ctlIp,
    listenPort: DEFAULT_API_PORT,
    targetPort: t.apiPort,
  });
  state.control = {
    temporalAddress: temporal.address,
    apiUrl: `http://${api.address}`,
    pids: [...temporal.pids, ...api.pids].map((pid) => ({ pid, comm: 'socat' })),
  };
  saveLabState(state);
}

/** Stops the forwarders: agents lose the control plane (the Temporal-unreachable case). */
export async function stopControlAccess(state: LabState): Promise<void> {
  for (const p of state.control?.pids ?? []) await stopPid(p.pid, { expectComm: p.comm, graceMs: 2000 });
  if (state.control) state.control.pids = [];
  saveLabState(state);
}

export interface AgentOptions {
  token: string;
  logLevel?: string;
  /** `--heartbeat-interval` (seconds): shorter than the default 10 s for fast VIP failover tests. */
  heartbeatIntervalS?: number;
  /** Extra CLI arguments for `edge-overlay agent`. */
  args?: string[];
}

/** `edge-overlay agent` inside the host's namespace, talking to the control plane via ctlIp. */
export async function startAgent(state: LabState, host: LabHost, o: AgentOptions): Promise<void> {
  if (!state.control) throw new Error('start the control access before the agents');
  const stateDir = join(state.runDir, 'agents', host.hostId);
  mkdirSync(stateDir, { recursive: true });
  const proc = await spawnInNetns(
    host.ns,
    process.execPath,
    [
      join(repoRoot, 'bin', 'edge-overlay.js'),
      'agent',
      '--host-id',
      host.hostId,
      '--underlay-iface',
      host.iface,
      '--temporal',
      state.control.temporalAddress,
      '--api',
      state.control.apiUrl,
      '--state-dir',
      stateDir,
      ...(o.heartbeatIntervalS !== undefined ? ['--heartbeat-interval', String(o.heartbeatIntervalS)] : []),
      ...(o.args ?? []),
    ],
    {
      env: {
        PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: process.env['HOME'] ?? '/root',
        EDGE_OVERLAY_TOKEN: o.token,
        EDGE_OVERLAY_LOG_FORMAT: 'json',
        EDGE_OVERLAY_LOG_LEVEL: o.logLevel ?? 'info',
      },
      logFile: join(state.runDir, `${host.hostId}.agent.log`),
    },
  );
  host.agent = { pid: proc.pid, comm: 'node' };
  saveLabState(state);
}

/** Remembers a process started in the lab so destroyLab stops it. */
export function trackPid(state: LabState, p: TrackedPid): void {
  state.extra.push(p);
  saveLabState(state);
}

/** Stops every recorded PID (comm checked), then deletes every lab namespace. Never throws. */
export async function destroyLab(state: LabState, opts: { keepRunDir?: boolean } = {}): Promise<void> {
  const processes = [
    ...state.hosts.flatMap((h) => [h.agent, h.udhcpc]),
    state.dnsmasq,
    ...(state.control?.pids ?? []),
    ...state.extra,
  ]
    .filter((p): p is TrackedPid => p !== undefined)
    .map((p) => ({ pid: p.pid, expectComm: p.comm }));
  await cleanupLab({
    processes,
    namespaces: [...state.hosts.map((h) => h.ns), state.dhcpNs, state.ctlNs, state.switchNs],
  });
  if (!opts.keepRunDir) rmSync(state.runDir, { recursive: true, force: true });
}

export { loadLabState, saveLabState };
