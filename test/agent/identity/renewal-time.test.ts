// When a certificate is renewed: inside the 0.6–0.75 band of its lifetime (about 2/3), spread by jitter
// so hosts enrolled together do not all renew at the same moment.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RENEWAL_BAND, renewalTime } from '../../../src/agent/identity/renewal.js';

describe('renewalTime', () => {
  it('falls inside the band of the lifetime for any certificate and any draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 60_000, max: 400 * 24 * 3600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (start, lifetime, draw) => {
          const at = renewalTime(new Date(start), new Date(start + lifetime), () => draw).getTime();
          expect(at).toBeGreaterThanOrEqual(start + Math.floor(lifetime * RENEWAL_BAND.from));
          expect(at).toBeLessThanOrEqual(start + Math.ceil(lifetime * RENEWAL_BAND.to));
        },
      ),
    );
  });

  it('is about 2/3 of a 90-day certificate in the middle of the band, and spreads hosts out', () => {
    const nb = new Date('2026-01-01T00:00:00Z');
    const na = new Date(nb.getTime() + 90 * 24 * 3600_000);
    const mid = renewalTime(nb, na, () => 0.5);
    expect((mid.getTime() - nb.getTime()) / (na.getTime() - nb.getTime())).toBeCloseTo(0.675, 3);
    const spread = new Set(Array.from({ length: 50 }, () => renewalTime(nb, na).getTime()));
    expect(spread.size).toBeGreaterThan(45);
  });
});
