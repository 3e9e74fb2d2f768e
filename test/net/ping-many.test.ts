// pingMany (src/net/ping-many.ts): every target pinged at once from one `sh`, one result per target in the
// targets' order. Hostile targets are refused before any process; the real kernel in a namespace of its
// own (only its loopback answers; an address without a route sends nothing).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns } from '../../src/lab/netns.js';
import { processRunner, linkSetUp, pingMany } from '../../src/net/index.js';
import { notRoot, recordingRunner } from '../helpers/netns-lab.js';

describe('pingMany without the kernel', () => {
  it('refuses a target that is not an IPv4 address before running anything (it goes into a script)', async () => {
    const rec = recordingRunner();
    await expect(pingMany(rec, ['10.0.0.1', '10.0.0.2; reboot'], 1, 300)).rejects.toThrow();
    await expect(pingMany(rec, ['$(id)'], 1, 300)).rejects.toThrow();
    expect(rec.calls).toEqual([]);
    expect(await pingMany(rec, [], 1, 300)).toEqual([]);
  });
});

describe.skipIf(notRoot('pingMany (netns)'))('pingMany in a namespace', () => {
  const ns = `eo-ping-${randomBytes(3).toString('hex')}`;
  beforeAll(async () => {
    await createNetns(ns);
    await linkSetUp(processRunner, 'lo', ns);
  });
  afterAll(async () => {
    await deleteNetns(ns);
  });

  it('answers per target, in order: loopback addresses answer, an address without a route does not', async () => {
    const t0 = Date.now();
    const res = await pingMany(processRunner, ['127.0.0.1', '10.255.0.1', '127.0.0.2'], 2, 300, ns);
    expect(res).toEqual([
      { target: '127.0.0.1', sent: 2, received: 2 },
      { target: '10.255.0.1', sent: 2, received: 0 },
      { target: '127.0.0.2', sent: 2, received: 2 },
    ]);
    // In parallel: three pings of 2 echoes 0.2 s apart take ~0.2 s together, not 0.6 s.
    expect(Date.now() - t0).toBeLessThan(1_500);
  });

  it('forty targets at once, each with its own result', async () => {
    const targets = Array.from({ length: 40 }, (_, i) => `127.0.${i}.1`);
    const res = await pingMany(processRunner, targets, 1, 300, ns);
    expect(res.map((r) => r.target)).toEqual(targets);
    expect(res.every((r) => r.sent === 1 && r.received === 1)).toBe(true);
  });
});
