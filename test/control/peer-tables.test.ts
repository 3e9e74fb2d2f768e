// The relay's peer table sources (src/control/peer-tables.ts): one read per version for a round's pushes,
// a new read for a newer reference, never an older source for a reference made after it changed; the
// source that told underlay changes lead to is served without a read.
import { describe, expect, it } from 'vitest';
import { createPeerTables } from '../../src/control/peer-tables.js';
import type { PlanHost } from '../../src/domain/peer-plan.js';
import { type PeerTableSource, peerSourceOf } from '../../src/domain/peer-source.js';

const source = (digest: string): PeerTableSource => ({ digest, peers: [], joined: [] });
const d = (n: number) => `${String(n).padStart(16, '0')}/1`;

/** A cluster whose query answers what `current` is when the read starts, after `delayMs`. */
function cluster(delayMs = 5) {
  const c = { current: source(d(1)), reads: 0, fail: false, delayMs };
  const read = async (_id: string): Promise<PeerTableSource> => {
    c.reads += 1;
    const at = c.current;
    const fail = c.fail;
    await new Promise((r) => setTimeout(r, c.delayMs));
    if (fail) throw new Error('workflow task failed');
    return at;
  };
  return { c, read };
}

describe('peer table sources on the relay', () => {
  it("a round's 200 pushes cost one read; the next version one more", async () => {
    const { c, read } = cluster();
    const resolve = createPeerTables(read);
    const first = await Promise.all(
      Array.from({ length: 200 }, () => resolve({ workflowId: 'w', digest: d(1) })),
    );
    expect(first.every((s) => s.digest === d(1))).toBe(true);
    expect(c.reads).toBe(1);
    c.current = source(d(2));
    const second = await Promise.all(
      Array.from({ length: 200 }, () => resolve({ workflowId: 'w', digest: d(2) })),
    );
    expect(second.every((s) => s.digest === d(2))).toBe(true);
    expect(c.reads).toBe(2);
    // an older reference is served by the newest source (a newer table is always right to send)
    expect((await resolve({ workflowId: 'w', digest: d(1) })).digest).toBe(d(2));
  });

  it('never answers a reference with a read that started before the reference was made', async () => {
    const { c, read } = cluster(50);
    const resolve = createPeerTables(read);
    const early = resolve({ workflowId: 'w', digest: d(1) }); // reads version 1, slowly
    await new Promise((r) => setTimeout(r, 10));
    c.current = source(d(2)); // the workflow moved on and made a reference to version 2
    const late = await resolve({ workflowId: 'w', digest: d(2) });
    expect(late.digest).toBe(d(2));
    expect((await early).digest).toBe(d(1));
    expect(c.reads).toBe(2);
  });

  it('a failed read fails the pushes waiting for it; the next one reads again', async () => {
    const { c, read } = cluster();
    const resolve = createPeerTables(read);
    c.fail = true;
    await expect(resolve({ workflowId: 'w', digest: d(1) })).rejects.toThrow('workflow task failed');
    c.fail = false;
    expect((await resolve({ workflowId: 'w', digest: d(1) })).digest).toBe(d(1));
    expect(c.reads).toBe(2);
  });

  it('serves the source the told underlay changes lead to without a read, exactly as the workflow computes it', async () => {
    const hosts: PlanHost[] = ['h1', 'h2', 'h3', 'h4'].map((hostId, i) => ({
      hostId,
      overlayIp: `10.200.0.${i + 2}`,
      underlayIp: `192.168.7.${i + 2}`,
      state: 'Joined',
      underlaySeq: 10,
    }));
    const v1 = peerSourceOf(hosts);
    let reads = 0;
    let current = v1;
    const tables = createPeerTables(async () => {
      reads += 1;
      return current;
    });
    await tables({ workflowId: 'w', digest: v1.digest }); // held: the cluster's tables as of the last round
    const moved = (ids: string[], octet: number, seq: number) =>
      hosts.map((h) =>
        ids.includes(h.hostId)
          ? { ...h, underlayIp: `192.168.${octet}.9${h.hostId[1]}`, underlaySeq: seq }
          : h,
      );
    const told = (ids: string[], octet: number, seq: number) =>
      ids.map((hostId) => ({ hostId, underlayIp: `192.168.${octet}.9${hostId[1]}`, seq }));

    // two batches told; the workflow may have applied the first alone or both together
    tables.advance('w', told(['h1', 'h3'], 8, 11));
    tables.advance('w', told(['h2'], 8, 11));
    const first = peerSourceOf(moved(['h1', 'h3'], 8, 11));
    const both = peerSourceOf(moved(['h1', 'h2', 'h3'], 8, 11));
    expect(await tables({ workflowId: 'w', digest: first.digest })).toEqual(first);
    expect(await tables({ workflowId: 'w', digest: both.digest })).toEqual(both);
    expect(reads).toBe(1);

    // a change the workflow drops (not newer than the seq it holds) derives nothing: its digest is read
    current = both;
    tables.advance('w', told(['h4'], 9, 10));
    expect((await tables({ workflowId: 'w', digest: both.digest })).digest).toBe(both.digest);
    expect(reads).toBe(1);
    // a joining host's first table (Joined only) is never cut from a derived source
    tables.advance('w', told(['h4'], 9, 12));
    const h4 = peerSourceOf(
      moved(['h1', 'h2', 'h3'], 8, 11).map((h) =>
        h.hostId === 'h4' ? { ...h, underlayIp: '192.168.9.94', underlaySeq: 12 } : h,
      ),
    );
    current = h4;
    expect((await tables({ workflowId: 'w', digest: h4.digest, only: 'Joined' })).digest).toBe(h4.digest);
    expect(reads).toBe(2);
  });

  it('derives nothing for a cluster it holds no source of: the push reads', async () => {
    const { c, read } = cluster();
    const tables = createPeerTables(read);
    tables.advance('w', [{ hostId: 'h1', underlayIp: '192.168.8.1', seq: 3 }]);
    expect((await tables({ workflowId: 'w', digest: d(1) })).digest).toBe(d(1));
    expect(c.reads).toBe(1);
  });

  it('a push waits at most the fallback for a newer source when one is held, then goes with it', async () => {
    const { c, read } = cluster();
    const resolve = createPeerTables(read, 30);
    await resolve({ workflowId: 'w', digest: d(1) }); // held: version 1
    c.current = source(d(2));
    c.delayMs = 300; // the cluster's workflow is busy: its query answers late
    const t0 = Date.now();
    expect((await resolve({ workflowId: 'w', digest: d(2) })).digest).toBe(d(1));
    expect(Date.now() - t0).toBeLessThan(250);
    await new Promise((r) => setTimeout(r, 350)); // the read went on and is held now
    expect((await resolve({ workflowId: 'w', digest: d(2) })).digest).toBe(d(2));
    expect(c.reads).toBe(2);
    c.fail = true;
    c.current = source(d(3));
    expect((await resolve({ workflowId: 'w', digest: d(3) })).digest).toBe(d(2)); // a failed read: the held one
  });
});
