// Peer tables: for every host, the peers it must send VxLAN frames to; and the diff against what it has.
import type { HostState, Peer } from './types.js';

export interface PlanHost {
  hostId: string;
  overlayIp: string;
  underlayIp: string | null;
  state: HostState;
  /** v2: sequence of the underlay report the address came from (goes into the peer entry). */
  underlaySeq?: number;
}

/** Hosts that take part in the data plane. Lost hosts stay: they may only have lost the control plane. */
const PEERING_STATES: ReadonlySet<HostState> = new Set<HostState>(['Joining', 'Joined', 'Lost']);

export const isPeering = (h: PlanHost): boolean => PEERING_STATES.has(h.state) && h.underlayIp !== null;

/** A peering host as a peer entry; the seq only when known (tables of v1 hosts stay as they were). */
const toPeer = (h: PlanHost): Peer => {
  const peer: Peer = { hostId: h.hostId, underlayIp: h.underlayIp!, overlayIp: h.overlayIp };
  if (h.underlaySeq !== undefined) peer.seq = h.underlaySeq;
  return peer;
};

/** Every other peering host, sorted by hostId (stable input for idempotent activities). */
export function desiredPeers(hosts: readonly PlanHost[], forHost: string): Peer[] {
  return hosts
    .filter((h) => h.hostId !== forHost && isPeering(h))
    .map(toPeer)
    .sort((a, b) => a.hostId.localeCompare(b.hostId));
}

/** The peering hosts as peer entries in host order: for digests, which do not depend on order (sorting 1000
 * ids with localeCompare at every status refresh cost more than the rest of the refresh). */
export const peeringEntries = (hosts: readonly PlanHost[]): Peer[] => hosts.filter(isPeering).map(toPeer);

/** The peering hosts as peer entries, sorted by hostId: every host's table is this set minus itself. */
export function peeringSet(hosts: readonly PlanHost[]): Peer[] {
  return hosts
    .filter(isPeering)
    .map(toPeer)
    .sort((a, b) => a.hostId.localeCompare(b.hostId));
}

export function planPeerTables(hosts: readonly PlanHost[]): Record<string, Peer[]> {
  const plan: Record<string, Peer[]> = {};
  for (const h of hosts) if (isPeering(h)) plan[h.hostId] = desiredPeers(hosts, h.hostId);
  return plan;
}

const key = (p: Peer) => `${p.hostId}|${p.underlayIp}|${p.overlayIp}`;

export interface PeerDiff {
  add: Peer[];
  remove: Peer[];
}

export function diffPeers(applied: readonly Peer[], desired: readonly Peer[]): PeerDiff {
  const have = new Set(applied.map(key));
  const want = new Set(desired.map(key));
  return { add: desired.filter((p) => !have.has(key(p))), remove: applied.filter((p) => !want.has(key(p))) };
}

export const peersEqual = (a: readonly Peer[], b: readonly Peer[]): boolean => {
  const d = diffPeers(a, b);
  return d.add.length === 0 && d.remove.length === 0;
};

/** Hosts whose desired table differs from the applied one (never-applied hosts count as differing). */
export function hostsNeedingPeers(
  applied: Readonly<Record<string, Peer[]>>,
  desired: Readonly<Record<string, Peer[]>>,
): string[] {
  return Object.keys(desired)
    .filter((id) => applied[id] === undefined || !peersEqual(applied[id]!, desired[id]!))
    .sort();
}
