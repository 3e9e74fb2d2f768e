// What `lab status` and `lab up` report about a lab, and the shell lines that point the CLI at it.
import { currentAddress } from './dhcp.js';
import { recordedPids } from './lab.js';
import { isAlive } from './netns.js';
import { type FoundLab, liveOwner, mainState } from './registry.js';

export interface LabProcess {
  pid: number;
  comm: string;
  role: string;
  alive: boolean;
}

export interface LabStatus {
  name: string;
  /** Its `lab up` process runs. */
  running: boolean;
  stateDir: string;
  ownerPid: number | null;
  apiUrl: string | null;
  tokenFile: string | null;
  uiUrl: string | null;
  temporalAddress: string | null;
  brokerUrl: string | null;
  dhcp: boolean | null;
  hosts: Array<{ hostId: string; ns: string; underlayIp: string | null; agentPid: number | null }>;
  /** The lab's namespaces that exist now. */
  namespaces: string[];
  processes: LabProcess[];
  /** `export …` for the CLI (null while the lab has no API). */
  env: string | null;
}

/** POSIX-shell quoting for a value pasted into `export` (paths with spaces survive). */
const shellQuote = (v: string): string =>
  /^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`;

export function envLine(apiUrl: string, tokenFile: string): string {
  return `export EDGE_OVERLAY_API_URL=${shellQuote(apiUrl)} EDGE_OVERLAY_TOKEN_FILE=${shellQuote(tokenFile)}`;
}

export async function labStatus(found: FoundLab): Promise<LabStatus> {
  const s = mainState(found);
  const owner = liveOwner(found);
  const roles = new Map<number, string>();
  if (s) {
    for (const h of s.hosts) {
      if (h.agent) roles.set(h.agent.pid, `agent ${h.hostId}`);
      if (h.udhcpc) roles.set(h.udhcpc.pid, `udhcpc ${h.hostId}`);
    }
    if (s.dnsmasq) roles.set(s.dnsmasq.pid, 'dnsmasq');
    for (const p of s.control?.pids ?? []) roles.set(p.pid, 'forwarder');
    const [temporal, broker] = s.plane?.pids ?? [];
    if (temporal) roles.set(temporal.pid, 'temporal');
    if (broker) roles.set(broker.pid, 'broker');
  }
  const processes: LabProcess[] = [
    ...(s?.owner ? [{ ...s.owner, role: 'lab up' }] : []),
    ...(s ? recordedPids(s).map((p) => ({ ...p, role: roles.get(p.pid) ?? 'other' })) : []),
  ].map((p) => ({ ...p, alive: isAlive(p.pid) }));
  const hosts = await Promise.all(
    (s?.hosts ?? []).map(async (h) => ({
      hostId: h.hostId,
      ns: h.ns,
      underlayIp: found.namespaces.includes(h.ns)
        ? await currentAddress(h.ns, h.iface).catch(() => null)
        : null,
      agentPid: h.agent?.pid ?? null,
    })),
  );
  const plane = s?.plane;
  return {
    name: found.paths.name,
    running: owner !== undefined,
    stateDir: found.paths.stateDir,
    ownerPid: owner?.pid ?? null,
    apiUrl: plane?.apiUrl ?? null,
    tokenFile: plane?.tokenFile ?? null,
    uiUrl: plane?.uiUrl ?? null,
    temporalAddress: plane?.temporalAddress ?? null,
    brokerUrl: s?.control?.brokerUrl ?? null,
    dhcp: s?.dhcp ?? null,
    hosts,
    namespaces: found.namespaces,
    processes,
    env: plane ? envLine(plane.apiUrl, plane.tokenFile) : null,
  };
}

/** The text of `lab status` (and of `lab up` once it is up). */
export function formatLabStatus(st: LabStatus): string {
  const lines = [
    `lab ${st.name}: ${st.running ? `running (lab up PID ${st.ownerPid})` : 'NOT running (leftovers: lab down --name ' + st.name + ')'}`,
    `  API:             ${st.apiUrl ?? '-'}   token file: ${st.tokenFile ?? '-'}`,
    `  Temporal Web UI: ${st.uiUrl ?? '-'}   (Temporal ${st.temporalAddress ?? '-'}, root loopback only)`,
    `  agents dial:     ${st.brokerUrl ?? '-'}   (the control namespace, over the underlay)`,
    `  underlay:        ${st.dhcp === null ? '-' : st.dhcp ? 'DHCP (lab outage renumbers every host)' : 'static'}`,
    ...st.hosts.map(
      (h) =>
        `  ${h.hostId.padEnd(10)} netns ${h.ns.padEnd(22)} ${(h.underlayIp ?? '-').padEnd(15)} agent ${h.agentPid ?? '-'}`,
    ),
    `  namespaces:      ${st.namespaces.join(' ') || '-'}`,
    `  processes:       ${st.processes.map((p) => `${p.role} ${p.pid}${p.alive ? '' : ' (gone)'}`).join(', ') || '-'}`,
    `  state dir:       ${st.stateDir}`,
  ];
  if (st.env) lines.push('Point the CLI at this lab (paste into your shell):', `  ${st.env}`);
  return lines.join('\n');
}
