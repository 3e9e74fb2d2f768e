// The relay's peer table sources (src/control/peer-tables.ts): one read per version for a round's pushes,
// a new read for a newer reference, never an older source for a reference made after it changed.
import { describe, expect, it } from 'vitest';
import { createPeerTables } from '../../src/control/peer-tables.js';
import type { PeerTableSource } from '../../src/domain/peer-source.js';

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
