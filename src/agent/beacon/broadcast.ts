// Pure helpers between accepted beacons and the host's peer table.
import type { Peer } from '../../domain/types.js';

/** Pure parse of "a.b.c.d" to a 32-bit unsigned number (inputs are validated upstream). */
function toNumber(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function toDotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * The directed broadcast of the interface's subnet (10.213.0.255 for 10.213.0.7/24). Sending there
 * needs no default route: the kernel keeps a local broadcast route per address. /31 and /32 have
 * no broadcast, so the limited broadcast is used instead (it needs a route; see beacon.ts).
 */
export function directedBroadcast(ip: string, prefixLength: number): string {
  if (prefixLength >= 31) return '255.255.255.255';
  const hostBits = 2 ** (32 - prefixLength);
  const network = toNumber(ip) - (toNumber(ip) % hostBits);
  return toDotted(network + hostBits - 1);
}

export interface BeaconPeerUpdate {
  hostId: string;
  underlayIp: string;
  overlayIp: string;
}

/**
 * The peer table with one peer's underlay address moved, or null when nothing should change.
 * A beacon may only move a peer the control plane already put in the table, with the same overlay
 * IP: membership and overlay addresses stay the workflow's decision.
 */
export function movePeerUnderlay(peers: readonly Peer[], update: BeaconPeerUpdate): Peer[] | null {
  const current = peers.find((p) => p.hostId === update.hostId);
  if (!current || current.overlayIp !== update.overlayIp || current.underlayIp === update.underlayIp)
    return null;
  return peers.map((p) => (p.hostId === update.hostId ? { ...p, underlayIp: update.underlayIp } : p));
}
