// The relay's side of peer tables by reference (domain/peer-source.ts): the peering set of each cluster as
// last read with its `peerTableSource` query, so a push round to N hosts costs one query, not N tables in
// history. A reference names the digest it was made at: a held source with that digest is used as is;
// otherwise the source is read again, by a query that starts after the reference was made and so sees a
// peering set at least as new.
// A query waits behind the cluster's workflow tasks: while a 1000-host cluster admits and joins, reads took
// over 10 s and every push waiting for one failed. So when a source is held, a push waits for the new read at
// most FALLBACK_MS and then goes with the held one. That is safe: the host answers the digest of the table it
// applied and the workflow records that one, so a table older than wanted is pushed again (agents also never
// take an older address for a peer over a newer one: entries carry their report seq).
// Derived ahead: the relay itself tells a cluster of its hosts' new underlay addresses, so it knows the
// peering set those changes lead to before the workflow has made a reference to it. Each batch told is
// applied, by the workflow's own rule (a change counts only with a newer seq), to the newest source known,
// and kept as a candidate that serves a reference with exactly its digest. In a 20-host renumbering the
// round's pushes otherwise waited 0.65-0.86 s for the query, answered behind the round's workflow tasks
// (traced). A candidate that guessed wrong (the workflow applied the batches otherwise, or changed more
// meanwhile) has another digest and serves nothing: those pushes read as before. Only whole-set references:
// a candidate keeps the Joined list of the source it came from, which underlay changes do not move.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { QUERY_HEDGE, hedged } from '../clients/temporal/hedged.js';
import { peerTableSourceQuery } from '../contract/workflow-messages.js';
import { peerTableDigest } from '../domain/peer-digest.js';
import { type PeerTableRef, type PeerTableSource, peerTableSourceSchema } from '../domain/peer-source.js';

/** Reads a cluster's current peering set (the query; parsed by the caller of createPeerTables). */
export type ReadPeerSource = (workflowId: string) => Promise<PeerTableSource>;

export type PeerTableResolver = (ref: PeerTableRef) => Promise<PeerTableSource>;

/** A host's new underlay address as the relay told its cluster. */
export interface ToldChange {
  hostId: string;
  underlayIp: string;
  seq: number;
}

export interface PeerTables extends PeerTableResolver {
  /** The relay told the cluster these changes: derive the source they lead to (see above). */
  advance(workflowId: string, changes: readonly ToldChange[]): void;
}

/** Candidates kept per cluster (newest last): a renumbering's batches, a few signals each. */
const CANDIDATES = 8;

/** `base` with every change applied that the workflow would apply; null when none would change it. */
export function deriveSource(base: PeerTableSource, changes: readonly ToldChange[]): PeerTableSource | null {
  const byHost = new Map(changes.map((c) => [c.hostId, c]));
  let moved = false;
  const peers = base.peers.map((p) => {
    const c = byHost.get(p.hostId);
    if (!c || (p.seq !== undefined && c.seq <= p.seq)) return p;
    if (c.underlayIp !== p.underlayIp) moved = true;
    return { ...p, underlayIp: c.underlayIp, seq: c.seq };
  });
  return moved ? { digest: peerTableDigest(peers), peers, joined: base.joined } : null;
}

/** Clusters whose source is held; the oldest read is dropped beyond it (a deleted cluster's stays until then). */
const HELD_CLUSTERS = 256;

/** How long a push waits for a newer source when it could go with the one held (see above). */
export const FALLBACK_MS = 2_000;

export function createPeerTables(read: ReadPeerSource, fallbackMs = FALLBACK_MS): PeerTables {
  // Order of calls and reads in this process (a clock's milliseconds cannot tell two in one ms apart).
  let tick = 0;
  const held = new Map<string, PeerTableSource>();
  /** Per cluster: the newest source read or derived (what the next batch is applied to), and candidates. */
  const latest = new Map<string, PeerTableSource>();
  const derived = new Map<string, PeerTableSource[]>();
  const reading = new Map<string, { since: number; done: Promise<PeerTableSource> }>();

  /** A read that started after `since`: the one in flight if it qualifies, else a new one. */
  function readAfter(workflowId: string, since: number): Promise<PeerTableSource> {
    const running = reading.get(workflowId);
    if (running && running.since > since) return running.done;
    const started = ++tick;
    const done = read(workflowId).then((source) => {
      held.delete(workflowId);
      held.set(workflowId, source);
      latest.set(workflowId, source);
      if (held.size > HELD_CLUSTERS) {
        const oldest = held.keys().next().value!;
        held.delete(oldest);
        latest.delete(oldest);
        derived.delete(oldest);
      }
      return source;
    });
    const entry = { since: started, done };
    reading.set(workflowId, entry);
    const forget = () => {
      if (reading.get(workflowId) === entry) reading.delete(workflowId);
    };
    done.then(forget, forget);
    return done;
  }

  async function wanted(ref: PeerTableRef, asked: number): Promise<PeerTableSource> {
    // A read already in flight may have been made for this very version (a round's pushes arrive together).
    const running = reading.get(ref.workflowId);
    if (running) {
      const source = await running.done.catch(() => null);
      if (source?.digest === ref.digest) return source;
    }
    return readAfter(ref.workflowId, asked);
  }

  const resolve: PeerTableResolver = async (ref) => {
    const asked = ++tick;
    const hit = held.get(ref.workflowId);
    if (hit?.digest === ref.digest) return hit;
    const ahead = ref.only ? undefined : derived.get(ref.workflowId)?.find((s) => s.digest === ref.digest);
    if (ahead) return ahead;
    const fresh = wanted(ref, asked);
    if (!hit) return fresh;
    let timer: NodeJS.Timeout | undefined;
    const fallback = new Promise<PeerTableSource>((resolve) => {
      timer = setTimeout(() => resolve(hit), fallbackMs);
    });
    try {
      return await Promise.race([fresh.catch(() => hit), fallback]);
    } finally {
      clearTimeout(timer);
    }
  };
  const advance = (workflowId: string, changes: readonly ToldChange[]) => {
    const base = latest.get(workflowId);
    const next = base && deriveSource(base, changes);
    if (!next) return;
    latest.set(workflowId, next);
    const list = [...(derived.get(workflowId) ?? []), next].slice(-CANDIDATES);
    derived.set(workflowId, list);
  };
  return Object.assign(resolve, { advance });
}

/** A read gives up after this long (a stuck cluster workflow must not hold every push to it): pushes with no
 * source held fail their attempt and are retried; the others went with the held source long before. */
const READ_TIMEOUT_MS = 20_000;

/** Reads the source with the cluster's query, parsed like every message that crosses a process boundary. */
export function queryPeerSource(client: Client, log?: Logger): ReadPeerSource {
  return async (workflowId) => {
    const startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS);
    });
    try {
      // Asked again when late (hedged.ts): the pushes of a round wait for this read.
      const handle = client.workflow.getHandle(workflowId);
      let attempts = 1;
      const answer = hedged(() => handle.query(peerTableSourceQuery), {
        ...QUERY_HEDGE,
        onHedge: (n) => {
          attempts = n;
        },
      });
      const source = peerTableSourceSchema.parse(await Promise.race([answer, timeout]));
      log?.debug(
        { workflowId, digest: source.digest, ms: Date.now() - startedAt, attempts },
        'peer table source read',
      );
      return source;
    } finally {
      clearTimeout(timer);
    }
  };
}
