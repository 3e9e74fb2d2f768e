// Peer tables by reference (since 'peer-tables-by-reference'). A host's table is the cluster's peering set
// minus itself, so N pushes of N entries each wrote N² entries into the cluster's history (activity and child
// inputs): ~175 MB for a 1000-host create, where Temporal stops a workflow at 50 MB. Now a push carries a
// reference (the cluster's workflow id and the peering set's digest) and the control worker's relay builds
// the table from the peering set it reads once per version with the cluster's `peerTableSource` query
// (src/control/peer-tables.ts). History holds no table at all; the agent still gets its whole table.
import { z } from 'zod';
import { peerTableDigest } from './peer-digest.js';
import { type PlanHost, peeringSet } from './peer-plan.js';
import type { Peer } from './types.js';
import { hostIdSchema, peerSchema } from './validation.js';

/** The peering set of a cluster as one version: the source every host's table is cut from. */
export interface PeerTableSource {
  /** peerTableDigest of `peers`: the version (a reference names the version it was made at). */
  digest: string;
  /** Every peering host (Joining, Joined, Lost with an address), sorted by hostId. */
  peers: Peer[];
  /** The hosts among them that are Joined (a joining host's first table and its probe use only those). */
  joined: string[];
}

/** What a setPeers command carries instead of the table. */
export interface PeerTableRef {
  /** The cluster workflow (its latest run answers the query). */
  workflowId: string;
  /** The source's digest when the reference was made: the relay reuses a source it holds with this digest;
   * any other is read again, and the read is at least as new as the reference. */
  digest: string;
  /** 'Joined': only the Joined peers (a joining host's first table, as joins had before). */
  only?: 'Joined';
}

export function peerSourceOf(hosts: readonly PlanHost[]): PeerTableSource {
  const peers = peeringSet(hosts);
  const joined = hosts.filter((h) => h.state === 'Joined').map((h) => h.hostId);
  return { digest: peerTableDigest(peers), peers, joined };
}

/** One host's table cut from a source: every peering host but itself (only Joined ones when asked). */
export function tableFromSource(source: PeerTableSource, forHost: string, only?: 'Joined'): Peer[] {
  if (only !== 'Joined') return source.peers.filter((p) => p.hostId !== forHost);
  const joined = new Set(source.joined);
  return source.peers.filter((p) => p.hostId !== forHost && joined.has(p.hostId));
}

const digestSchema = z.string().regex(/^[0-9a-f]{16}\/\d+$/, 'not a peer table digest');

export const peerTableRefSchema = z.object({
  workflowId: z.string().min(1).max(400),
  digest: digestSchema,
  only: z.literal('Joined').optional(),
});

export const peerTableSourceSchema = z.object({
  digest: digestSchema,
  peers: z.array(peerSchema),
  joined: z.array(hostIdSchema),
});
