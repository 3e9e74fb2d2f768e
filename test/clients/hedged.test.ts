import { describe, expect, it } from 'vitest';
import { hedged } from '../../src/clients/temporal/hedged.js';

const never = () => new Promise<never>(() => undefined);
const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe('hedged', () => {
  it('a prompt answer costs one call', async () => {
    let calls = 0;
    const v = await hedged(
      () => {
        calls++;
        return later(5, 'a');
      },
      { afterMs: 50, maxAttempts: 3 },
    );
    expect(v).toBe('a');
    await later(120, null);
    expect(calls).toBe(1);
  });

  it('asks again when the first attempt is late, and takes the first answer', async () => {
    const startedAt = Date.now();
    const hedges: number[] = [];
    let calls = 0;
    const v = await hedged(() => (++calls === 1 ? never() : later(5, `answer ${calls}`)), {
      afterMs: 40,
      maxAttempts: 3,
      onHedge: (n) => hedges.push(n),
    });
    expect(v).toBe('answer 2');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(40);
    expect(hedges).toEqual([2]);
  });

  it('never has more than maxAttempts in flight when none answers', async () => {
    let calls = 0;
    const p = hedged(
      () => {
        calls++;
        return never();
      },
      { afterMs: 10, maxAttempts: 3 },
    );
    p.catch(() => undefined);
    await later(150, null);
    expect(calls).toBe(3);
  });

  it('a failure with no other attempt in flight fails at once (not asked again)', async () => {
    let calls = 0;
    const p = hedged(
      () => {
        calls++;
        return Promise.reject(new Error('closed'));
      },
      { afterMs: 30, maxAttempts: 3 },
    );
    await expect(p).rejects.toThrow('closed');
    await later(80, null);
    expect(calls).toBe(1);
  });

  it('a late attempt that fails leaves the call to the one still in flight', async () => {
    let calls = 0;
    const v = await hedged(
      () =>
        ++calls === 1
          ? later(60, 'first').then(() => Promise.reject(new Error('late failure')))
          : later(40, 'second'),
      { afterMs: 30, maxAttempts: 2 },
    );
    expect(v).toBe('second');
  });
});
