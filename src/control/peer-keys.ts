// The public keys that go with a peer table (DESIGN.md v2: peers verify each other's beacons against the
// keys in the table). The cluster workflow does not carry them (1000 keys would not fit its continue-as-new
// input, and keys are the registry's facts): the relay adds each peer's key to a setPeers command from the
// host records, cached here. A key changes only when a host enrolls again: a cached key older than
// KEY_TTL_MS is still used and re-read in the background; a missing one is read for every table.
// Reads are shared: a push round to N hosts asks for the same N keys N times at once, and after the TTL that
// was N² describe calls in one burst (20 hosts: 380), which slowed the dev server's task dispatch for
// seconds in a site-wide renumbering. One read per host is in flight at a time, at most
// LOOKUPS_IN_PARALLEL reads overall.

import type { Client } from '@temporalio/client';
import type { Peer } from '../domain/types.js';
import { getHostFromMemo } from '../temporal/hosts.js';

const KEY_TTL_MS = 60_000;
const LOOKUPS_IN_PARALLEL = 32;

export type PeerKeyLookup = (hostIds: readonly string[]) => Promise<Map<string, string>>;

export function createPeerKeyCache(
  read: (hostId: string) => Promise<string | undefined>,
  now: () => number = Date.now,
): PeerKeyLookup {
  const cache = new Map<string, { key: string; at: number }>();
  const inFlight = new Map<string, Promise<string | undefined>>();
  const waiting: Array<() => void> = [];
  let running = 0;

  async function slot<T>(work: () => Promise<T>): Promise<T> {
    if (running >= LOOKUPS_IN_PARALLEL) await new Promise<void>((r) => waiting.push(r));
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  }

  /** The one read of a host's key in flight (started if none is). */
  function fetchKey(id: string): Promise<string | undefined> {
    let p = inFlight.get(id);
    if (!p) {
      p = slot(() => read(id))
        .catch(() => undefined)
        .then((key) => {
          if (key !== undefined) cache.set(id, { key, at: now() });
          return key;
        })
        .finally(() => inFlight.delete(id));
      inFlight.set(id, p);
    }
    return p;
  }

  return async (hostIds) => {
    const out = new Map<string, string>();
    const missing: string[] = [];
    for (const id of hostIds) {
      const hit = cache.get(id);
      if (!hit) missing.push(id);
      else {
        out.set(id, hit.key);
        if (now() - hit.at >= KEY_TTL_MS) void fetchKey(id); // refreshed in the background
      }
    }
    const keys = await Promise.all(missing.map(fetchKey));
    missing.forEach((id, i) => {
      const key = keys[i];
      if (key !== undefined) out.set(id, key);
    });
    return out;
  };
}

/** Keys from the host workflows' memo (no query: a busy host workflow must not delay a peer table). */
export function registryPeerKeys(client: Client): PeerKeyLookup {
  return createPeerKeyCache(async (hostId) => (await getHostFromMemo(client, hostId))?.publicKey);
}

/** The table with every known key filled in (entries that already carry one keep it). */
export async function withPeerKeys(peers: readonly Peer[], lookup: PeerKeyLookup): Promise<Peer[]> {
  const keys = await lookup(peers.filter((p) => !p.publicKey).map((p) => p.hostId));
  return peers.map((p) => {
    const key = p.publicKey ?? keys.get(p.hostId);
    return key ? { ...p, publicKey: key } : { ...p };
  });
}
