// Human-readable output: aligned tables and short summaries. `--json` bypasses all of this.
import type { DomainEvent } from '../domain/types.js';
import type { ClusterStatus, ClusterSummary, HostEntry } from './api-client.js';

/** Left-aligned columns separated by two spaces; header in upper case. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [
    headers.map((h) => h.toUpperCase()),
    ...rows.map((r) => r.map((c) => (c ?? '-').toString())),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** "12s ago", "3m ago", "2h ago", or "-" for null. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m ago`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function formatCluster(c: ClusterStatus, now = Date.now()): string {
  const head = [
    `Cluster:   ${c.name}`,
    `Phase:     ${c.phase}`,
    `Overlay:   ${c.overlayCidr}  VNI ${c.vni}  ${c.mode}`,
    `VIP:       ${c.vip}${c.vipHolder ? ` (on ${c.vipHolder})` : ' (unassigned)'}`,
    `Workflow:  ${c.uiUrl}`,
  ];
  const hosts = table(
    ['host', 'role', 'overlay ip', 'underlay ip', 'state', 'last seen'],
    c.hosts.map((h) => [h.hostId, h.role, h.overlayIp, h.underlayIp, h.state, ago(h.lastSeen, now)]),
  );
  const parts = [head.join('\n'), '', hosts];
  if (c.conditions.length) {
    parts.push(
      '',
      table(
        ['condition', 'status', 'reason', 'message'],
        c.conditions.map((k) => [k.type, k.status, k.reason, k.message]),
      ),
    );
  }
  return parts.join('\n');
}

export function formatClusterList(list: ClusterSummary[]): string {
  if (!list.length) return 'no clusters';
  return table(
    ['name', 'phase', 'hosts', 'workflow'],
    list.map((c) => [c.name, c.phase, c.hostCount, c.uiUrl]),
  );
}

export function formatHosts(hosts: HostEntry[], now = Date.now()): string {
  if (!hosts.length) return 'no registered hosts';
  return table(
    ['host', 'underlay ip', 'iface', 'cluster', 'last seen'],
    hosts.map((h) => [h.hostId, h.underlayIp, h.underlayIface, h.cluster, ago(h.lastSeen, now)]),
  );
}

/** One host, `hosts get`: its record as aligned `Key: value` lines. */
export function formatHost(h: HostEntry, now = Date.now()): string {
  const online = h.online === undefined ? 'never connected' : h.online ? 'yes' : 'no';
  const underlay = h.prefixLength === undefined ? h.underlayIp : `${h.underlayIp}/${h.prefixLength}`;
  const rows: Array<[string, string]> = [
    ['Host', h.hostId],
    ['Underlay', `${underlay}${h.underlayIface ? ` on ${h.underlayIface}` : ''}`],
    ['Cluster', h.cluster ?? '-'],
    ['Online', online],
    ['Last seen', `${h.lastSeen} (${ago(h.lastSeen, now)})`],
    ['Certificate', h.certificateSerial ?? '-'],
    [
      'Labels',
      Object.entries(h.labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '-',
    ],
    ['Workflow', h.uiUrl],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`).join('\n');
}

/** Event data as `k=v` pairs, strings unquoted. */
const dataText = (data: Record<string, unknown>): string =>
  Object.entries(data)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');

export function formatEvents(events: DomainEvent[]): string {
  if (!events.length) return 'no events';
  return table(
    ['seq', 'time', 'type', 'host', 'data'],
    events.map((e) => [e.seq, e.time, e.type, e.hostId, dataText(e.data)]),
  );
}

/** Column widths for a stream of events (`events --follow`): wide enough for the usual values, so rows
 * printed later line up with the header printed first. */
export const EVENT_MIN_WIDTHS = [5, 24, 18, 16] as const;

export function eventWidths(events: DomainEvent[]): number[] {
  return EVENT_MIN_WIDTHS.map((min, i) => Math.max(min, ...events.map((e) => eventCells(e)[i]?.length ?? 0)));
}

const eventCells = (e: DomainEvent): string[] => [
  String(e.seq),
  e.time,
  e.type,
  e.hostId ?? '-',
  dataText(e.data),
];

/** One row (or the header, for null) padded to widths; a longer value pushes only its own row. */
export function eventRow(e: DomainEvent | null, widths: number[]): string {
  const cells = e ? eventCells(e) : ['SEQ', 'TIME', 'TYPE', 'HOST', 'DATA'];
  return cells
    .map((c, i) => (i < widths.length ? c.padEnd(widths[i] ?? 0) : c))
    .join('  ')
    .trimEnd();
}

/** One progress line while waiting: phase and per-state host counts. */
export function progressLine(c: ClusterStatus): string {
  const counts = new Map<string, number>();
  for (const h of c.hosts) counts.set(h.state, (counts.get(h.state) ?? 0) + 1);
  const states = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  return `${c.name}: ${c.phase} (${states || 'no hosts'})`;
}
