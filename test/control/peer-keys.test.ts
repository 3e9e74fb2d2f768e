// The relay adds the peers' public keys to a setPeers table from the host registry, cached: known keys
// go in, unknown hosts stay without one, a cached key is re-read after its TTL, and lookups are batched.
import { describe, expect, it } from 'vitest';
import { createPeerKeyCache, withPeerKeys } from '../../src/control/peer-keys.js';

const peer = (hostId: string, publicKey?: string) => ({
  hostId,
  underlayIp: '10.0.0.1',
  overlayIp: '100.64.192.2',
  ...(publicKey ? { publicKey } : {}),
});

describe('peer keys', () => {
  it('fills in known keys, keeps given ones, leaves unknown hosts without', async () => {
    const reads: string[] = [];
    const keys: Record<string, string> = { a: 'KEY-A', b: 'KEY-B' };
    const lookup = createPeerKeyCache(async (id) => {
      reads.push(id);
      return keys[id];
    });
    const table = await withPeerKeys([peer('a'), peer('b', 'GIVEN-B'), peer('c')], lookup);
    expect(table.map((p) => p.publicKey)).toEqual(['KEY-A', 'GIVEN-B', undefined]);
    expect(reads.sort()).toEqual(['a', 'c']);
  });

  it('caches a key, re-reads it in the background after a minute, a missing one every time; survives a failing read', async () => {
    let t = 0;
    const reads: string[] = [];
    const lookup = createPeerKeyCache(
      async (id) => {
        reads.push(id);
        if (id === 'bad') throw new Error('describe failed');
        return id === 'a' ? 'KEY-A' : undefined;
      },
      () => t,
    );
    await lookup(['a', 'c', 'bad']);
    await lookup(['a', 'c', 'bad']);
    expect(reads.filter((r) => r === 'a')).toHaveLength(1);
    expect(reads.filter((r) => r === 'c')).toHaveLength(2);
    t += 61_000;
    expect((await lookup(['a'])).get('a')).toBe('KEY-A'); // the cached key at once …
    await new Promise((r) => setTimeout(r, 0));
    expect(reads.filter((r) => r === 'a')).toHaveLength(2); // … and re-read behind it
  });

  it('a push round asking for the same keys at once reads each host once', async () => {
    const reads: string[] = [];
    const lookup = createPeerKeyCache(async (id) => {
      reads.push(id);
      await new Promise((r) => setTimeout(r, 5));
      return `K-${id}`;
    });
    const ids = Array.from({ length: 19 }, (_, i) => `h${i}`);
    const tables = await Promise.all(Array.from({ length: 20 }, () => lookup(ids)));
    for (const t of tables) expect(t.size).toBe(19);
    expect(reads.sort()).toEqual([...ids].sort());
  });

  it('reads at most 32 hosts at a time, across concurrent tables too', async () => {
    let inFlight = 0;
    let most = 0;
    const lookup = createPeerKeyCache(async (id) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return `K-${id}`;
    });
    const ids = Array.from({ length: 100 }, (_, i) => `h${i}`);
    const more = Array.from({ length: 100 }, (_, i) => `m${i}`);
    const [a, b] = await Promise.all([lookup(ids), lookup(more)]);
    expect(a.size + b.size).toBe(200);
    expect(most).toBeLessThanOrEqual(32);
  });
});
