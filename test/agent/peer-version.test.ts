// The peer-table version guard with a fake host whose applies are held until the test releases them, so
// the overlaps that happen on a real agent (commands run concurrently, an apply takes tens of ms) are
// reproduced exactly: an older table must never end up applied after a newer one.
import { describe, expect, it } from 'vitest';
import type { HostActivities, SetPeersInput, SetPeersResult } from '../../src/activities/host/contract.js';
import { guardPeerVersions } from '../../src/agent/peer-version.js';
import { testSpec } from '../fixtures/overlay-spec.js';

const spec = testSpec({ clusterName: 'versions' });
const table = (version?: number, more: Partial<SetPeersInput> = {}): SetPeersInput => ({
  spec,
  peers: [],
  ...(version !== undefined ? { version } : {}),
  ...more,
});
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A host whose "kernel" holds the version of the last table written. `hold(v)` keeps the next apply of
 * version v waiting until `release(v)`; the write happens when it is released (a late write included).
 * `serial`: applies run one at a time, as under the agent's beacon hook. */
function fakeHost(o: { serial?: boolean; failing?: Set<number> } = {}) {
  const held = new Map<number, { gate: Promise<void>; open: () => void }>();
  const host = {
    kernel: undefined as number | undefined,
    started: [] as Array<number | undefined>,
    inputs: [] as SetPeersInput[],
    hold(v: number) {
      let open = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      held.set(v, { gate, open });
    },
    release(v: number) {
      held.get(v)?.open();
      held.delete(v);
    },
  };
  let chain: Promise<unknown> = Promise.resolve();
  const write = async (input: SetPeersInput): Promise<SetPeersResult> => {
    host.started.push(input.version);
    host.inputs.push(input);
    const gate = input.version !== undefined ? held.get(input.version)?.gate : undefined;
    if (gate) await gate;
    if (input.version !== undefined && o.failing?.has(input.version)) throw new Error('bridge failed');
    host.kernel = input.version;
    return { added: 1, removed: 0 };
  };
  const setPeers = (input: SetPeersInput) => {
    if (!o.serial) return write(input);
    const next = chain.then(() => write(input));
    chain = next.catch(() => undefined);
    return next;
  };
  return { host, activities: { setPeers } as unknown as HostActivities };
}

describe('guardPeerVersions', () => {
  it('an older table that arrives while a newer one is being applied is refused when its turn comes', async () => {
    // The agent's wiring: the applies below the guard run one at a time. On arrival the older table passed
    // (the newer one was not recorded yet) and was then applied after it.
    const { host, activities } = fakeHost({ serial: true });
    const guard = guardPeerVersions(activities);
    host.hold(2);
    const newer = guard.setPeers(table(2));
    await tick();
    const older = guard.setPeers(table(1));
    await tick();
    host.release(2);
    expect(await newer).toEqual({ added: 1, removed: 0 });
    expect(await older).toEqual({ added: 0, removed: 0, stale: true });
    expect(host.kernel).toBe(2);
    expect(host.started).toEqual([2]);
  });

  it('a newer table that arrives while an older one is being applied waits for it, so it is written last', async () => {
    // Applies below the guard run concurrently (the guard alone orders them).
    const { host, activities } = fakeHost();
    const guard = guardPeerVersions(activities);
    host.hold(1);
    const older = guard.setPeers(table(1));
    await tick();
    const newer = guard.setPeers(table(2));
    await sleep(20);
    expect(host.started).toEqual([1]);
    host.release(1);
    await Promise.all([older, newer]);
    expect(host.kernel).toBe(2);
    expect(await guard.setPeers(table(1))).toMatchObject({ stale: true });
    expect(host.kernel).toBe(2);
  });

  it('tables without a version always apply; a failed apply does not count as applied', async () => {
    const { host, activities } = fakeHost({ failing: new Set([5]) });
    const guard = guardPeerVersions(activities);
    await expect(guard.setPeers(table(5))).rejects.toThrow('bridge failed');
    expect(await guard.setPeers(table(4))).toEqual({ added: 1, removed: 0 });
    expect(host.kernel).toBe(4);
    expect(await guard.setPeers(table())).toEqual({ added: 1, removed: 0 });
    expect(host.kernel).toBeUndefined();
    expect(await guard.setPeers(table(3))).toMatchObject({ stale: true });
  });

  it('an apply past its bound lets the next go; when it settles late, the newest table is applied again', async () => {
    const { host, activities } = fakeHost();
    const guard = guardPeerVersions(activities, { boundMs: 40 });
    host.hold(1);
    const hung = guard.setPeers(table(1, { probe: true }));
    await tick();
    const newer = guard.setPeers(table(2, { probe: true }));
    expect(await newer).toEqual({ added: 1, removed: 0 });
    expect(host.kernel).toBe(2);
    host.release(1); // its late write lands on top of the newer table...
    expect(await hung).toEqual({ added: 1, removed: 0, stale: true });
    expect(host.kernel).toBe(2); // ...and the guard has put the newer one back
    expect(host.started).toEqual([1, 2, 2]);
    expect(host.inputs[2]?.probe).toBeUndefined(); // the repair does not probe again
  });

  it('an overtaken apply that is itself the newest stays, and is applied again over the older one that overtook it', async () => {
    const { host, activities } = fakeHost();
    const guard = guardPeerVersions(activities, { boundMs: 40 });
    host.hold(2);
    const hung = guard.setPeers(table(2));
    await tick();
    expect(await guard.setPeers(table(1))).toEqual({ added: 1, removed: 0 });
    host.release(2);
    expect(await hung).toEqual({ added: 1, removed: 0 });
    expect(host.kernel).toBe(2);
    expect(host.started).toEqual([2, 1, 2]);
    expect(await guard.setPeers(table(1))).toMatchObject({ stale: true });
  });

  it('an apply within its bound holds the next one however long it takes up to the bound', async () => {
    const { host, activities } = fakeHost();
    const guard = guardPeerVersions(activities, { boundMs: 1000 });
    host.hold(1);
    const first = guard.setPeers(table(1));
    await tick();
    const second = guard.setPeers(table(2));
    await sleep(100);
    expect(host.started).toEqual([1]);
    host.release(1);
    await Promise.all([first, second]);
    expect(host.started).toEqual([1, 2]);
    expect(host.kernel).toBe(2);
  });
});
