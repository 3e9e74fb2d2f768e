// KeyedQueue: serial per key, parallel across keys, bounded overall, waiting jobs replaced per slot.
import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../src/control/keyed-queue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('KeyedQueue', () => {
  it('runs one job at a time per key, in push order', async () => {
    const q = new KeyedQueue(8, () => undefined);
    const seen: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    for (const n of [1, 2, 3]) {
      q.push('h1', `slot-${n}`, async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await tick(10 - n * 3); // later jobs are faster: they would overtake if not serialized
        seen.push(`h1-${n}`);
        inFlight--;
      });
    }
    await q.idle();
    expect(seen).toEqual(['h1-1', 'h1-2', 'h1-3']);
    expect(maxInFlight).toBe(1);
  });

  it('runs different keys in parallel, never more than the bound', async () => {
    const q = new KeyedQueue(3, () => undefined);
    let inFlight = 0;
    let maxInFlight = 0;
    for (let i = 0; i < 10; i++) {
      q.push(`h${i}`, 'x', async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await tick(10);
        inFlight--;
      });
    }
    expect(q.size).toBe(10);
    await q.idle();
    expect(maxInFlight).toBe(3);
    expect(q.size).toBe(0);
  });

  it('replaces a waiting job of the same slot (a flood costs one job), never the running one', async () => {
    const q = new KeyedQueue(1, () => undefined);
    const ran: number[] = [];
    let release!: () => void;
    q.push(
      'h1',
      'underlay',
      () =>
        new Promise<void>((r) => {
          release = () => {
            ran.push(0);
            r();
          };
        }),
    );
    for (let n = 1; n <= 100; n++) q.push('h1', 'underlay', async () => void ran.push(n));
    expect(q.size).toBe(2); // the running one and ONE waiting
    await tick();
    release();
    await q.idle();
    expect(ran).toEqual([0, 100]);
  });

  it('reports a failing job and keeps going with the next', async () => {
    const errors: string[] = [];
    const q = new KeyedQueue(2, (key, slot, err) => errors.push(`${key}/${slot}: ${String(err)}`));
    const ran: string[] = [];
    q.push('h1', 'a', async () => {
      throw new Error('boom');
    });
    q.push('h1', 'b', async () => void ran.push('b'));
    await q.idle();
    expect(errors).toEqual(['h1/a: Error: boom']);
    expect(ran).toEqual(['b']);
  });
});
