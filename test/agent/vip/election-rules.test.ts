// Election rules, part 2: whom a host votes for and when it may move its vote (the promise), conflict,
// preemption, claim and release reasons, DAD, a VIP found in the kernel at start, policy changes.
import { describe, expect, it } from 'vitest';
import { allVoteMe, Harness, policy3, SELF_EPOCH } from './support/harness.js';

const prio = (a: number, b: number, c: number) =>
  policy3({
    eligible: [
      { hostId: 'a', priority: a },
      { hostId: 'b', priority: b },
      { hostId: 'c', priority: c },
    ],
  });

describe('VIP election: voting', () => {
  it('votes for the best-ranked present candidate, not for itself when outranked', () => {
    const h = new Harness(prio(1, 5, 1)).run(1000, () => ({ b: {}, c: {} }));
    expect(h.sent.at(-1)!.vote).toMatchObject({ hostId: 'b', epoch: 100, gen: 1 });
    const tie = new Harness(prio(1, 1, 1), 'b').run(1000, () => ({ a: {}, c: {} }));
    expect(tie.sent.at(-1)!.vote).toMatchObject({ hostId: 'a' });
  });

  it('stays with a present holder even when a better candidate appears', () => {
    const h = new Harness(prio(1, 3, 5)).run(1000, () => ({ b: { holding: true }, c: { quorum: false } }));
    expect(h.sent.at(-1)!.vote).toMatchObject({ hostId: 'b' });
    h.run(1500, () => ({ b: { holding: true }, c: {} }));
    expect(h.sent.at(-1)!.vote).toMatchObject({ hostId: 'b' });
  });

  it('a vote moves to another host only D (500 ms) after it was last advertised', () => {
    const h = new Harness(prio(1, 5, 1)).run(1000, () => ({ b: {}, c: {} }));
    const lastForB = h.sent.at(-1)!;
    expect(lastForB.vote?.hostId).toBe('b');
    // b falls silent: the vote is withdrawn once b is no longer present (250 ms)…
    h.run(2000, () => ({ c: { vote: 'me' } }));
    const abstained = h.sent.find((a) => a.counter > lastForB.counter && a.vote === undefined)!;
    expect(abstained.vote).toBeUndefined();
    // …and goes to a (itself) only after the last advert for b + D.
    const own = h.sent.find((a) => a.vote?.hostId === 'a')!;
    const lastB = h.sent.filter((a) => a.vote?.hostId === 'b').at(-1)!;
    expect(own.counter - lastB.counter).toBeGreaterThanOrEqual(5);
    expect(h.first('claim')).toMatchObject({ action: 'claim', reason: 'Initial' });
  });

  it('moves at once when the old host visibly gave the ballot up (later gen, not holding)', () => {
    const h = new Harness(prio(1, 5, 1)).run(1000, () => ({ b: { holding: true }, c: { vote: 'me' } }));
    expect(h.sent.at(-1)!.vote).toMatchObject({ hostId: 'b', gen: 1 });
    // b releases: gen 2 but its kernel still holds → not yet; then holding=false → at once.
    h.feed('b', { gen: 2, holding: true, quorum: false });
    expect(h.e.advertFor(h.t).vote).toBeUndefined();
    h.feed('b', { gen: 2, holding: false, quorum: false });
    expect(h.e.advertFor(h.t).vote).toMatchObject({ hostId: 'a', epoch: SELF_EPOCH });
  });

  it('a new epoch of the same host frees the vote for that host at once', () => {
    const h = new Harness(prio(1, 5, 1)).run(1000, () => ({ b: { holding: true } }));
    h.feed('b', { epoch: 200, holding: true, quorum: true });
    expect(h.e.advertFor(h.t).vote).toMatchObject({ hostId: 'b', epoch: 200 });
  });
});

describe('VIP election: holder rules and reasons', () => {
  it('Conflict: a holder that sees a better-ranked holder releases at once; a worse one does not', () => {
    const h = new Harness(prio(5, 1, 1)).run(1000, allVoteMe(['b', 'c']));
    expect(h.first('claim')?.reason).toBe('Initial');
    h.feed('b', { holding: true, vote: 'me' });
    expect(h.moves().length).toBe(1);
    const worse = new Harness(prio(1, 1, 1), 'b').run(1000, allVoteMe(['a', 'c'], { quorum: false }));
    expect(worse.first('claim')).toBeDefined();
    expect(worse.feed('a', { holding: true, quorum: false })).toMatchObject({
      action: 'release',
      reason: 'Conflict',
    });
  });

  it('Outranked: a holder releases when a better-ranked candidate is present; the other claims "Outranked"', () => {
    const h = new Harness(prio(1, 1, 9), 'b').run(1000, () => ({
      a: { vote: 'me', quorum: false },
      c: { quorum: false },
    }));
    expect(h.first('claim')).toBeDefined();
    expect(h.feed('c', { quorum: true })).toMatchObject({
      action: 'release',
      reason: 'Outranked',
      advertNow: true,
    });
    const c = new Harness(prio(1, 1, 9), 'c').run(1000, () => ({ a: { vote: 'me' }, b: { holding: true } }));
    expect(c.first('claim')).toBeUndefined();
    c.run(1500, () => ({ a: { vote: 'me' }, b: { holding: false, gen: 2, vote: 'me' } }));
    expect(c.first('claim')?.reason).toBe('Outranked');
  });

  it('HolderReleased / HolderLost: why a successor claims', () => {
    const released = new Harness(prio(1, 5, 1), 'a').run(1000, () => ({
      b: { holding: true },
      c: { vote: 'me' },
    }));
    released.run(2500, () => ({ b: { holding: false, gen: 2, quorum: false }, c: { vote: 'me' } }));
    expect(released.first('claim')?.reason).toBe('HolderReleased');
    const lost = new Harness(prio(1, 5, 1)).run(1000, () => ({ b: { holding: true }, c: { vote: 'me' } }));
    lost.run(3000, () => ({ c: { vote: 'me' } }));
    const claim = lost.first('claim')!;
    expect(claim.reason).toBe('HolderLost');
    // Not before b's holding=true has not been heard for W_s (600 ms) after its last advert at 1000.
    expect(claim.at).toBeGreaterThanOrEqual(1600);
  });

  it('QuorumLost: a holder whose votes stop releases within W_h of the last echoed advert', () => {
    const h = new Harness().run(1000, allVoteMe(['b', 'c']));
    h.run(2000, () => ({ b: {}, c: {} }));
    expect(h.moves()).toEqual([
      { at: 600, action: 'claim', reason: 'Initial' },
      { at: 1300, action: 'release', reason: 'QuorumLost' },
    ]);
  });

  it('NotEligible: a policy that drops the holder from eligible releases; an older policy is ignored', () => {
    const h = new Harness().run(1000, allVoteMe(['b', 'c']));
    expect(h.e.setPolicy(policy3({ policyVersion: 0 + 1 }), h.t)).toMatchObject({ action: 'none' });
    const d = h.e.setPolicy(policy3({ policyVersion: 2, eligible: [{ hostId: 'b', priority: 1 }] }), h.t);
    expect(d).toMatchObject({ action: 'release', reason: 'NotEligible' });
    expect(h.e.setPolicy(policy3({ policyVersion: 1 }), h.t)).toMatchObject({ action: 'none' });
    expect(h.e.status(h.t).policyVersion).toBe(2);
  });

  it('a policy change starts a new hold-down before any claim', () => {
    const h = new Harness().run(700, () => ({ b: { vote: undefined }, c: {} }));
    h.e.setPolicy(policy3({ policyVersion: 2 }), h.t);
    h.run(2000, allVoteMe(['b', 'c'], { policyVersion: 2 }));
    expect(h.first('claim')!.at).toBeGreaterThanOrEqual(1300);
  });

  it('a VIP found in the kernel that this run did not claim is released at the first tick', () => {
    const h = new Harness();
    h.kernel = true;
    h.run(100);
    expect(h.moves()).toEqual([{ at: 50, action: 'release', reason: 'QuorumLost' }]);
    expect(h.sent[0]!.holding).toBe(true); // until the kernel is seen empty, peers are told it holds
  });

  it('no claim while a seen peer advertises the VIP, whatever its policy version', () => {
    const h = new Harness().run(2000, () => ({ b: { vote: 'me' }, c: { holding: true, policyVersion: 9 } }));
    expect(h.first('claim')).toBeUndefined();
  });

  it('DAD: a dirty probe means no claim, retried every A until clean', () => {
    const h = new Harness();
    h.dadClean = false;
    h.run(1000, allVoteMe(['b', 'c']));
    const probes = h.log.filter((l) => l.action === 'probe').map((l) => l.at);
    expect(probes).toEqual([600, 700, 800, 900, 1000]);
    expect(h.first('claim')).toBeUndefined();
    h.dadClean = true;
    h.run(1200, allVoteMe(['b', 'c']));
    expect(h.first('claim')?.at).toBe(1100);
  });

  it('LeaseExpired: a holder whose kernel lost the address gives the ballot up, then claims again after DAD', () => {
    const h = new Harness().run(1000, allVoteMe(['b', 'c']));
    const gen = h.sent.at(-1)!.gen;
    h.renewWorks = false;
    h.kernel = false;
    h.run(1300, allVoteMe(['b', 'c']));
    expect(h.moves()[1]).toEqual({ at: 1050, action: 'release', reason: 'LeaseExpired' });
    expect(h.moves()[2]).toMatchObject({ action: 'claim' });
    expect(h.sent.at(-1)!.gen).toBe(gen + 1);
  });

  it('renews every 2A while holding, and advertises holding at once on claim', () => {
    const h = new Harness().run(1200, allVoteMe(['b', 'c']));
    const renews = h.log.filter((l) => l.action === 'renew').map((l) => l.at);
    expect(renews).toEqual([800, 1000, 1200]);
    expect(h.sent.at(-1)).toMatchObject({ holding: true, vote: { hostId: 'a', epoch: SELF_EPOCH } });
  });
});
