// The public keys that go with a peer table (DESIGN.md v2: peers verify each other's beacons against the
// keys in the table). The cluster workflow does not carry them (1000 keys would not fit its continue-as-new
// input, and keys are the registry's facts): the relay adds each peer's key to a setPeers command from the
// host records, cached here. A key changes only when a host enrolls again; a cached one is re-read after
// KEY_TTL_MS, a missing one on every table (it appears when the host enrolls).
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
  return async (hostIds) => {
    const out = new Map<string, string>();
    const missing: string[] = [];
    for (const id of hostIds) {
      const hit = cache.get(id);
      if (hit && now() - hit.at < KEY_TTL_MS) out.set(id, hit.key);
      else missing.push(id);
    }
    for (let i = 0; i < missing.length; i += LOOKUPS_IN_PARALLEL) {
      const batch = missing.slice(i, i + LOOKUPS_IN_PARALLEL);
      const keys = await Promise.all(batch.map((id) => read(id).catch(() => undefined)));
      batch.forEach((id, j) => {
        const key = keys[j];
        if (key === undefined) return;
        cache.set(id, { key, at: now() });
        out.set(id, key);
      });
    }
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
