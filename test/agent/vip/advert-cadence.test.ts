// The follower cadence (advert-cadence.ts), rule by rule: a follower answers its holder's adverts at once
// (at most one advert per A/2), sends one fallback 1.2 A after an answer and then waits until the holder's
// advert ages past freshMs; it ticks only then; a repeat of another follower's advert is dropped only while
// following and within 1.5 A of the last one accepted; hosts that follow nobody keep the plain cadence.
import { describe, expect, it } from 'vitest';
import {
  answers,
  dropsRepeat,
  nextAdvertAt,
  nextTickAt,
  repeats,
} from '../../../src/agent/vip/advert-cadence.js';
import type { VipAdvert } from '../../../src/agent/vip/advert.js';
import { windowsOf } from '../../../src/agent/vip/policy.js';

const w = windowsOf({ advertIntervalMs: 100 });
const holder = { hostId: 'h1', receivedAt: 1000 };

const advert = (over: Partial<VipAdvert> = {}): VipAdvert => ({
  clusterName: 'site',
  hostId: 'h3',
  epoch: 7,
  counter: 40,
  policyVersion: 2,
  priority: 1,
  gen: 3,
  holding: false,
  quorum: true,
  sees: ['h1', 'h2'],
  vote: { hostId: 'h1', epoch: 5, gen: 1, counter: 99, ageMs: 0 },
  ...over,
});

describe('advert cadence', () => {
  it('a host that follows nobody advertises every A and ticks T after its last evaluation', () => {
    expect(nextAdvertAt(1000, undefined, w)).toBe(1100);
    expect(nextTickAt(1000, undefined, w)).toBe(1050);
    expect(answers('h1', undefined, 0, 1000, w)).toBe(false);
  });

  it("a follower answers its holder's advert, not another's, and never twice within A/2", () => {
    expect(answers('h1', holder, 900, 1000, w)).toBe(true);
    expect(answers('h2', holder, 900, 1000, w)).toBe(false);
    expect(answers('h1', holder, 960, 1000, w)).toBe(false);
    expect(answers('h1', holder, 950, 1000, w)).toBe(true);
  });

  it("after an answer one fallback at 1.2 A; after the fallback, when the holder's advert ages past freshMs", () => {
    expect(nextAdvertAt(1001, holder, w)).toBe(1001 + 120);
    expect(nextAdvertAt(1121, holder, w)).toBe(1000 + w.freshMs);
    // the gap between two adverts stays within 1.3 A
    expect(1000 + w.freshMs - 1121).toBeLessThanOrEqual(1.3 * w.advertMs);
  });

  it("a follower ticks when its holder's advert ages past freshMs, never sooner than T", () => {
    expect(nextTickAt(1000, holder, w)).toBe(1000 + w.freshMs);
    expect(nextTickAt(1230, holder, w)).toBe(1280);
  });

  it('repeats: counters and the vote echo may move, nothing else', () => {
    const a = advert();
    expect(repeats(a, advert({ counter: 41, vote: { ...a.vote!, counter: 100, ageMs: 3 } }))).toBe(true);
    for (const change of [
      { epoch: 8 },
      { policyVersion: 3 },
      { priority: 2 },
      { gen: 4 },
      { holding: true },
      { quorum: false },
      { sees: ['h1'] },
      { sees: ['h1', 'h4'] },
      { vote: { ...a.vote!, gen: 2 } },
      { vote: { ...a.vote!, hostId: 'h2' } },
      { vote: undefined },
    ] satisfies Partial<VipAdvert>[])
      expect(repeats(a, advert({ counter: 41, ...change }))).toBe(false);
    expect(repeats(advert({ vote: undefined }), advert({ counter: 41, vote: undefined }))).toBe(true);
  });

  it("drops only another follower's repeat, while following, within 1.5 A of the last accepted", () => {
    const prev = { advert: advert(), at: 1000 };
    const next = advert({ counter: 41 });
    expect(dropsRepeat(next, prev, holder, 1100, w)).toBe(true);
    expect(dropsRepeat(next, prev, holder, 1150, w)).toBe(false); // 1.5 A: verify this one
    expect(dropsRepeat(next, prev, undefined, 1100, w)).toBe(false); // not following
    expect(dropsRepeat(next, undefined, holder, 1100, w)).toBe(false); // nothing accepted yet
    expect(
      dropsRepeat(advert({ hostId: 'h1' }), { ...prev, advert: advert({ hostId: 'h1' }) }, holder, 1100, w),
    ).toBe(false); // the holder's own adverts are always verified
    expect(dropsRepeat(advert({ counter: 41, quorum: false }), prev, holder, 1100, w)).toBe(false);
  });
});
