// What the Temporal Web UI shows for a running cluster (issue 14 point 7): a one-line summary and, in the
// workflow's "current details", a short markdown page (phase, VIP and its holder, a table of hosts). Pure:
// the cluster workflow calls it when it publishes its status; the API uses the summary at creation.
import type { ClusterPhase, HostRole, HostState, OverlayMode } from './types.js';

/** Rows in the details table: the UI page stays readable (and cheap to build) for a 1000-host cluster. */
export const DETAILS_MAX_HOSTS = 50;

export interface DetailsHost {
  hostId: string;
  role: HostRole;
  overlayIp: string;
  underlayIp: string | null;
  state: HostState;
}

export interface DetailsInput {
  name: string;
  phase: ClusterPhase;
  overlayCidr: string;
  vni: number;
  mode: OverlayMode;
  vip: string;
  vipHolder: string | null;
  hosts: readonly DetailsHost[];
}

/** `Ready · VIP 100.64.192.1 on edge-1 · 5 hosts (5 Joined)` */
export function clusterSummaryLine(c: Omit<DetailsInput, 'overlayCidr' | 'vni' | 'mode' | 'name'>): string {
  const holder = c.vipHolder ? `on ${c.vipHolder}` : 'not held';
  return `${c.phase} · VIP ${c.vip} ${holder} · ${c.hosts.length} hosts (${countByState(c.hosts)})`;
}

/** The static summary given when the cluster is created (the UI's "User Metadata"). */
export function creationSummary(c: {
  name: string;
  overlayCidr: string;
  vni: number;
  mode: OverlayMode;
  hosts: readonly { role: HostRole }[];
}): string {
  const cps = c.hosts.filter((h) => h.role === 'control-plane').length;
  return `cluster ${c.name}: ${c.hosts.length} hosts (${cps} control-plane), ${c.overlayCidr}, VNI ${c.vni}, ${c.mode}`;
}

export function clusterDetails(c: DetailsInput): string {
  const rows = c.hosts.slice(0, DETAILS_MAX_HOSTS).map((h) => {
    const vip = h.hostId === c.vipHolder ? ' (VIP)' : '';
    return `| ${h.hostId}${vip} | ${h.role} | ${h.overlayIp} | ${h.underlayIp ?? '—'} | ${h.state} |`;
  });
  const more = c.hosts.length - rows.length;
  return [
    `**${c.name}** — ${clusterSummaryLine(c)}`,
    '',
    `Overlay ${c.overlayCidr}, VNI ${c.vni}, ${c.mode}. Queries: \`clusterStatus\` (this page as JSON), \`clusterEvents\` (the event log).`,
    '',
    '| host | role | overlay IP | underlay IP | state |',
    '|---|---|---|---|---|',
    ...rows,
    ...(more > 0 ? ['', `… and ${more} more hosts (\`clusterStatus\` lists them all)`] : []),
  ].join('\n');
}

function countByState(hosts: readonly { state: HostState }[]): string {
  const counts = new Map<HostState, number>();
  for (const h of hosts) counts.set(h.state, (counts.get(h.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ') || 'none';
}
