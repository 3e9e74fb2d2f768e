// DAD ahead of the claim (src/agent/vip/dad-ahead.ts): the host that will claim once the votes and W_s
// allow probes while it waits, and claims with that result; nobody else probes, and probes never storm.
import { describe, expect, it } from 'vitest';
import { DadAhead } from '../../../src/agent/vip/dad-ahead.js';
import { windowsOf } from '../../../src/agent/vip/policy.js';
import { Harness, policy3 } from './support/harness.js';

// b (priority 5) holds until it falls silent at 1000; a and c tie, a ranks first by id.
const prio = policy3({
  eligible: [
    { hostId: 'a', priority: 1 },
    { hostId: 'b', priority: 5 },
    { hostId: 'c', priority: 1 },
  ],
});
const probesAfter = (h: Harness, t: number) =>
  h.log.filter((l) => l.action === 'probe' && l.at > t).map((l) => l.at);

describe('VIP election: DAD ahead of the claim', () => {
  it('the best candidate probes once the holder is absent: the claim waits for no DAD of its own', () => {
    const h = new Harness(prio, 'a').run(1000, () => ({ b: { holding: true }, c: { vote: 'me' } }));
    expect(probesAfter(h, 0)).toEqual([]); // a follower of a present holder never probes
    h.run(2000, () => ({ c: { vote: 'me' } }));
    const claim = h.first('claim')!;
    // b's holding=true was last heard at 1000: no claim before W_s (600 ms) after it, nor before a's own
    // promise to b (its last advert for b + D) ran out…
    expect(claim).toMatchObject({ reason: 'HolderLost' });
    expect(claim.at).toBeGreaterThanOrEqual(1600);
    // …but the first probe ran as soon as b was no longer present (freshMs 250), and the claim came with a
    // result taken before it, at most dadFreshMs old (a real DAD takes 170-310 ms: before, it came after).
    const probes = probesAfter(h, 1000);
    expect(probes[0]).toBeGreaterThanOrEqual(1250);
    expect(probes[0]).toBeLessThanOrEqual(1300);
    const used = probes.filter((p) => p < claim.at).at(-1)!;
    expect(claim.at - used).toBeLessThanOrEqual(500);
    expect(probes).not.toContain(claim.at);
  });

  it('a clean result older than dadFreshMs (D) is probed again before the claim; probes D apart', () => {
    const h = new Harness(prio, 'a').run(1000, () => ({ b: { holding: true }, c: { vote: 'me' } }));
    // c withholds its vote until 2200: the claim waits, and so does the probe between fresh results
    h.run(2600, (t) => ({ c: t >= 2200 ? { vote: 'me' } : {} }));
    const probes = probesAfter(h, 1000);
    const claim = h.first('claim')!;
    expect(claim.at).toBeGreaterThanOrEqual(2200);
    for (let i = 1; i < probes.length; i++) expect(probes[i]! - probes[i - 1]!).toBeGreaterThan(500);
    // the claim used a result at most 500 ms old
    expect(claim.at - probes.filter((p) => p <= claim.at).at(-1)!).toBeLessThanOrEqual(500);
  });

  it('a candidate that is not the best-ranked one does not probe ahead', () => {
    const h = new Harness(prio, 'c').run(1000, () => ({ b: { holding: true }, a: {} }));
    h.run(1550, () => ({ a: {} })); // a is present and ranks first: a claims, c waits for it
    expect(probesAfter(h, 0)).toEqual([]);
  });

  it('without a majority that sees it (minority side) it stops probing and never claims', () => {
    const h = new Harness(prio, 'a').run(1000, () => ({ b: { holding: true }, c: { vote: 'me' } }));
    h.run(3000); // b and c both gone: a is a candidate only while c's last advert (1000) is within W_h
    expect(probesAfter(h, 1300)).toEqual([]);
    expect(h.first('claim')).toBeUndefined();
  });

  it('bookkeeping: a dirty result is retried after dadRetryMs, a lost probe after 5A', () => {
    const w = windowsOf({ advertIntervalMs: 100 });
    const d = new DadAhead();
    d.started(0);
    expect(d.mayStart(400, w)).toBe(false);
    expect(d.mayStart(500, w)).toBe(true); // unanswered for 5A: lost
    d.result(false, 500);
    expect(d.mayStart(550, w)).toBe(false);
    expect(d.mayStart(600, w)).toBe(true);
    d.result(true, 600);
    expect([d.isFresh(1100, w), d.isFresh(1101, w), d.mayStart(1100, w)]).toEqual([true, false, false]);
    d.used();
    expect(d.isFresh(700, w)).toBe(false);
  });
});
