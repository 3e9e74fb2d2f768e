import { describe, expect, it } from 'vitest';
import { nextFutureRetry, retryDue } from '../../src/domain/retry.js';

describe('retryDue', () => {
  it.each([
    { failedAt: undefined, now: 0, quiescing: false, due: true },
    { failedAt: undefined, now: 0, quiescing: true, due: true },
    { failedAt: 1_000, now: 30_999, quiescing: false, due: false },
    { failedAt: 1_000, now: 31_000, quiescing: false, due: true },
    { failedAt: 1_000, now: 99_000, quiescing: true, due: false },
  ])('failedAt $failedAt, now $now, quiescing $quiescing → $due', ({ failedAt, now, quiescing, due }) => {
    expect(retryDue(failedAt, now, 30_000, quiescing)).toBe(due);
  });
});

describe('nextFutureRetry', () => {
  it.each([
    { name: 'nothing failed', failedAt: [], now: 0, next: null },
    { name: 'the earliest retry ahead', failedAt: [5_000, 1_000, 3_000], now: 2_000, next: 31_000 },
    { name: 'retries already due are skipped', failedAt: [1_000, 20_000], now: 31_000, next: 50_000 },
    { name: 'a retry due exactly now is not ahead', failedAt: [1_000], now: 31_000, next: null },
  ])('$name', ({ failedAt, now, next }) => {
    expect(nextFutureRetry(failedAt, 30_000, now)).toBe(next);
  });
});
