// Peer-table digests: what the cluster remembers of the table a host was last given, instead of the table
// itself (N hosts × N peers would not fit a continue-as-new payload at 1000 hosts).
// The digest is a sum of per-entry hashes, so the digest of "everybody but me" is the digest of the whole
// peering set minus my own entry: every host's desired digest costs O(1) after one O(N) pass.
// Two FNV-1a lanes with different offsets give 64 bits; this detects change, it is no security boundary.
import type { Peer } from './types.js';

const FNV_PRIME = 0x01000193;
const LANE_A = 0x811c9dc5;
const LANE_B = 0x050c5d1f;

function fnv1a(text: string, offset: number): number {
  let h = offset;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

interface Sum {
  a: number;
  b: number;
  count: number;
}

const entryText = (p: Peer): string => `${p.hostId}|${p.underlayIp}|${p.overlayIp}`;

// Entry hashes, remembered: a cluster's digests are recomputed at every status refresh and push step, and
// hashing every entry each time was the workflow's largest cost at 400 hosts (7.5 s of one run's CPU). A pure
// cache (same text, same hashes), so it cannot change what a workflow computes; cleared when it grows.
const hashes = new Map<string, { a: number; b: number }>();
const MAX_HASHES = 50_000;

function entryHash(p: Peer): { a: number; b: number } {
  const text = entryText(p);
  let h = hashes.get(text);
  if (!h) {
    if (hashes.size >= MAX_HASHES) hashes.clear();
    h = { a: fnv1a(text, LANE_A), b: fnv1a(text, LANE_B) };
    hashes.set(text, h);
  }
  return h;
}

function addEntry(sum: Sum, p: Peer, sign: 1 | -1): Sum {
  const h = entryHash(p);
  return {
    a: (sum.a + sign * h.a) >>> 0,
    b: (sum.b + sign * h.b) >>> 0,
    count: sum.count + sign,
  };
}

const hex = (n: number) => n.toString(16).padStart(8, '0');
const format = (s: Sum): string => `${hex(s.a)}${hex(s.b)}/${s.count}`;
const EMPTY: Sum = { a: 0, b: 0, count: 0 };

/** Digest of one table; independent of entry order. */
export function peerTableDigest(peers: readonly Peer[]): string {
  return format(peers.reduce((sum, p) => addEntry(sum, p, 1), EMPTY));
}

/**
 * Desired-table digest of every peering host, where a host's table is every other peering host
 * (see peer-plan's desiredPeers). `peering` must be the peering set as Peer entries.
 */
export function desiredDigests(peering: readonly Peer[]): Record<string, string> {
  const all = peering.reduce((sum, p) => addEntry(sum, p, 1), EMPTY);
  const out: Record<string, string> = {};
  for (const p of peering) out[p.hostId] = format(addEntry(all, p, -1));
  return out;
}
