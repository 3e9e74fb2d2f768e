// Which address of a peer wins when setPeers tables (from the control plane) and beacons (from the peer
// itself) disagree. Pure. The rule, whatever order commands and beacons arrive in:
//
//   Both claims carry the peer's underlay report seq → the larger seq wins; an older claim never replaces
//   a newer one. A seq belongs to exactly one address (the peer reports each address with a new seq, and
//   its beacon carries the seq of the address it announces), so equal seqs mean the same address.
//   Either claim lacks a seq (an older control plane, or a beacon sent before the peer's report caught up)
//   → the rule from before seqs existed: a beacon moves the peer to the address it announces, and a pushed
//   table does not undo a beacon accepted in the last few seconds.
//
// Beacons only ever move the underlay address of a peer the table already lists with the same overlay
// IP: membership, overlay addresses and public keys stay the control plane's decision.
import type { Peer } from '../../domain/types.js';

/** One source's statement of where a peer is. */
export interface PeerClaim {
  hostId: string;
  underlayIp: string;
  overlayIp: string;
  seq?: number;
}
export type SeqClaim = PeerClaim & { seq: number };
/** An accepted beacon and when (ms) it was accepted. */
export type Observation = PeerClaim & { atMs: number };

/** A beacon seen this recently beats a seq-less pushed table (peers announce every second). */
export const FRESH_MS = 3000;

const hasSeq = (c: PeerClaim): c is SeqClaim => c.seq !== undefined;

/** The peer at the claim's address, taking the claim's seq (or none). */
function moved(p: Peer, claim: PeerClaim): Peer {
  const { seq: _old, ...rest } = p;
  return hasSeq(claim)
    ? { ...rest, underlayIp: claim.underlayIp, seq: claim.seq }
    : { ...rest, underlayIp: claim.underlayIp };
}

/** The table with the beacon's claim applied, or null when nothing needs programming. */
export function beaconMove(table: readonly Peer[], claim: PeerClaim): Peer[] | null {
  const current = table.find((p) => p.hostId === claim.hostId);
  if (!current || current.overlayIp !== claim.overlayIp) return null;
  if (hasSeq(claim) && current.seq !== undefined && claim.seq <= current.seq) return null;
  // A newer seq for the same address needs no kernel change; the hook remembers it (newest).
  if (current.underlayIp === claim.underlayIp) return null;
  return table.map((p) => (p === current ? moved(p, claim) : p));
}

/** Keeps the claim with the largest seq per peer (claims without seq are ignored). */
export function recordNewest(newest: Map<string, SeqClaim>, claim: PeerClaim): void {
  if (!hasSeq(claim)) return;
  const held = newest.get(claim.hostId);
  if (!held || claim.seq > held.seq)
    newest.set(claim.hostId, {
      hostId: claim.hostId,
      underlayIp: claim.underlayIp,
      overlayIp: claim.overlayIp,
      seq: claim.seq,
    });
}

export interface HeldClaims {
  /** The newest seq-carrying claim per peer, from earlier tables and beacons. */
  newest: ReadonlyMap<string, SeqClaim>;
  /** The last accepted beacon per peer. */
  observed: ReadonlyMap<string, Observation>;
  nowMs: number;
  freshMs?: number;
}

/**
 * A pushed table with every entry replaced by a newer claim this host holds. `corrected` lists the peers
 * whose address the table would have moved back (for the log).
 */
export function mergePushedTable(
  table: readonly Peer[],
  held: HeldClaims,
): { peers: Peer[]; corrected: string[] } {
  const corrected: string[] = [];
  const freshMs = held.freshMs ?? FRESH_MS;
  const peers = table.map((p) => {
    const n = held.newest.get(p.hostId);
    const o = held.observed.get(p.hostId);
    const fresh = o !== undefined && o.overlayIp === p.overlayIp && held.nowMs - o.atMs <= freshMs;
    let winner: PeerClaim | undefined;
    if (p.seq !== undefined) {
      if (n && n.overlayIp === p.overlayIp && n.seq > p.seq) winner = n;
      else if (fresh && !hasSeq(o)) winner = o;
    } else if (fresh) winner = o;
    if (!winner || (winner.underlayIp === p.underlayIp && winner.seq === p.seq)) return p;
    if (winner.underlayIp !== p.underlayIp) corrected.push(p.hostId);
    return moved(p, winner);
  });
  return { peers, corrected };
}
