// Election rules, part 1: who counts. Majorities of 1, 2, 3 and 5 voters; votes are leases that start at
// (our send time of the echoed counter + the voter's reported age); the hold-down after start; adverts of
// another policy version or of non-voters never count.
import { describe, expect, it } from 'vitest';
import {
  compareRank,
  majority,
  VIP_LIFETIME_S,
  vipPolicySchema,
  windowsOf,
} from '../../../src/agent/vip/policy.js';
import { allVoteMe, Harness, policy3, type PeerScript } from './support/harness.js';

const eligibleAll = (ids: string[]) => ids.map((hostId) => ({ hostId, priority: 1 }));
const sized = (n: number) => {
  const voters = ['a', 'b', 'c', 'd', 'e'].slice(0, n);
  return policy3({ voters, eligible: eligibleAll(voters) });
};

describe('VIP policy', () => {
  it('derives the windows from the advert interval', () => {
    expect(windowsOf({ advertIntervalMs: 100 })).toEqual({
      advertMs: 100,
      tickMs: 50,
      freshMs: 250,
      holdMs: 300,
      seenMs: 600,
      promiseMs: 500,
      holdDownMs: 600,
      dadRetryMs: 100,
      dadFreshMs: 500,
      renewMs: 200,
    });
  });

  it.each([20, 50, 100, 150, 200, 250])(
    'A = %i ms: a renewal, up to T + 50 ms late, still comes within the lease limit (half the lifetime)',
    (a) => {
      const w = windowsOf({ advertIntervalMs: a });
      expect(w.renewMs + w.tickMs + 50).toBeLessThan((VIP_LIFETIME_S * 1000) / 2);
      // and failover (the old holder's adverts age past W_s, ~6.5 A) stays within issue 13's 2 s
      expect(w.seenMs + a / 2).toBeLessThanOrEqual(2000);
    },
  );

  it('advert intervals outside 20..250 ms are refused', () => {
    const base = policy3();
    expect(vipPolicySchema.safeParse({ ...base, advertIntervalMs: 250 }).success).toBe(true);
    expect(vipPolicySchema.safeParse({ ...base, advertIntervalMs: 251 }).success).toBe(false);
    expect(vipPolicySchema.safeParse({ ...base, advertIntervalMs: 19 }).success).toBe(false);
  });

  it.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
  ])('%i voters need %i', (n, need) => {
    expect(majority(sized(n) as { voters: string[] })).toBe(need);
  });

  it('ranks by priority, then by the smaller host id', () => {
    const p = vipPolicySchema.parse(
      policy3({
        eligible: [
          { hostId: 'a', priority: 1 },
          { hostId: 'b', priority: 5 },
          { hostId: 'c', priority: 5 },
        ],
      }),
    );
    expect(['a', 'c', 'b'].sort((x, y) => compareRank(p, x, y))).toEqual(['b', 'c', 'a']);
    expect(compareRank(p, 'a', 'a')).toBe(0);
  });

  it('refuses eligible hosts that are not voters, duplicates and too many voters', () => {
    expect(vipPolicySchema.safeParse(policy3({ eligible: [{ hostId: 'z', priority: 1 }] })).success).toBe(
      false,
    );
    expect(vipPolicySchema.safeParse(policy3({ voters: ['a', 'a'] })).success).toBe(false);
    const ten = Array.from({ length: 10 }, (_, i) => `h${i}`);
    expect(vipPolicySchema.safeParse(policy3({ voters: ten, eligible: [] })).success).toBe(false);
  });
});

describe('VIP election: majorities', () => {
  it('1 voter: holds alone once the hold-down (600 ms) is over', () => {
    const h = new Harness(sized(1)).run(2000);
    expect(h.moves()).toEqual([{ at: 600, action: 'claim', reason: 'Initial' }]);
    expect(h.kernel).toBe(true);
  });

  it('2 voters: needs the other one; when its votes stop, releases (QuorumLost) and nobody holds', () => {
    const alone = new Harness(sized(2)).run(2000, () => ({ b: { vote: undefined } }));
    expect(alone.moves()).toEqual([]);
    const h = new Harness(sized(2)).run(1500, allVoteMe(['b']));
    expect(h.moves()).toEqual([{ at: 600, action: 'claim', reason: 'Initial' }]);
    h.run(3000, () => ({ b: { vote: undefined } }));
    expect(h.moves()[1]).toMatchObject({ action: 'release', reason: 'QuorumLost' });
    // The vote's lease: our advert at 1500 was echoed with age 0 at 1500 → counted until 1800.
    expect(h.moves()[1]!.at).toBe(1800);
    expect(h.kernel).toBe(false);
  });

  it.each([
    [3, ['b'], true],
    [3, [], false],
    [5, ['b', 'c'], true],
    [5, ['b'], false],
  ])('%i voters, votes from %j (+ own) → claims: %s', (n, voting, claims) => {
    const voters = ['a', 'b', 'c', 'd', 'e'].slice(0, n);
    const h = new Harness(sized(n)).run(2000, () =>
      Object.fromEntries(
        voters.filter((v) => v !== 'a').map((v) => [v, { vote: voting.includes(v) ? 'me' : undefined }]),
      ),
    );
    expect(h.first('claim') !== undefined).toBe(claims);
  });

  it('a vote counts W_h (300 ms) from our send time of the echoed counter plus the reported age', () => {
    // Age 250 ms: the lease runs 50 ms beyond the next advert... fine while votes keep coming.
    const fresh = new Harness().run(1500, allVoteMe(['b'], { ageMs: 250 }));
    expect(fresh.first('claim')).toBeDefined();
    // A vote that echoes a counter from 300 ms ago (age ≥ W_h at arrival) never counts.
    const stale = new Harness();
    stale.run(1500, () => ({}));
    const lastSent = stale.sent.at(-1)!;
    stale.t += 300;
    stale.feed('b', { vote: 'me' });
    expect(stale.e.status(stale.t).votes).toBe(1); // only its own (it is a candidate of its own now)
    expect(lastSent.counter).toBeGreaterThan(0);
  });

  it('an abstention keeps a counted vote until its lease ends; a vote for another ballot ends it at once', () => {
    const h = new Harness().run(1000, allVoteMe(['b', 'c']));
    expect(h.e.status(h.t).votes).toBe(3);
    h.feed('b', { vote: undefined });
    expect(h.e.status(h.t).votes).toBe(3);
    h.feed('c', { vote: { hostId: 'b', epoch: 100, gen: 1 } });
    expect(h.e.status(h.t).votes).toBe(2);
    expect(h.e.status(h.t + 300).votes).toBe(1);
  });

  it('no vote and no claim during the hold-down, even with every vote', () => {
    const h = new Harness().run(550, allVoteMe(['b', 'c']));
    expect(h.sent.every((a) => a.vote === undefined && !a.quorum)).toBe(true);
    expect(h.log).toEqual([]);
    h.run(700, allVoteMe(['b', 'c']));
    expect(h.first('claim')).toEqual({ at: 600, action: 'claim', reason: 'Initial' });
  });

  it.each<[string, PeerScript]>([
    ['another policy version', { vote: 'me', policyVersion: 2 }],
    ['an echo from another epoch of ours', { vote: { hostId: 'a', epoch: 6, gen: 1 } }],
  ])('votes carried by %s do not count', (_name, script) => {
    const h = new Harness().run(2000, () => ({ b: script, c: script }));
    expect(h.first('claim')).toBeUndefined();
  });

  it('adverts of hosts that are not voters are ignored; sees lists only same-version voters', () => {
    const h = new Harness().run(2000, () => ({ x: { vote: 'me' }, b: { vote: 'me', policyVersion: 3 } }));
    expect(h.first('claim')).toBeUndefined();
    expect(h.sent.at(-1)!.sees).toEqual([]);
    const ok = new Harness().run(2000, () => ({ b: { vote: 'me' }, c: { policyVersion: 3 } }));
    expect(ok.sent.at(-1)!.sees).toEqual(['b']);
  });

  it('a candidate needs to be seen by a majority (quorum in its advert)', () => {
    const unseen = new Harness().run(1500, allVoteMe(['b', 'c'], { sees: [] }));
    expect(unseen.sent.at(-1)!.quorum).toBe(false);
    expect(unseen.first('claim')).toBeUndefined();
    const seen = new Harness().run(1500, allVoteMe(['b', 'c'], { sees: ['a'] }));
    expect(seen.sent.at(-1)!.quorum).toBe(true);
  });
});
