// The control plane's site-VIP rules (src/domain/site-vip-policy.ts) as tables: voters and eligible per
// host state, one voter change at a time and only once committed, and what a report does to the holder.
import { describe, expect, it } from 'vitest';
import {
  committed,
  emptySiteVip,
  nextPolicy,
  nextVoters,
  policyOf,
  reportEffect,
  type SiteVipSnapshot,
  targetVoters,
  type VipMember,
} from '../../src/domain/site-vip-policy.js';
import type { HostState } from '../../src/domain/types.js';

const cp = (hostId: string, state: HostState): VipMember => ({ hostId, role: 'control-plane', state });
const members = (...m: VipMember[]) => new Map(m.map((x) => [x.hostId, x]));
const snap = (over: Partial<SiteVipSnapshot>): SiteVipSnapshot => ({ ...emptySiteVip([]), ...over });

describe('site VIP policy rules', () => {
  it('voters: control planes that can run an elector, in request order, at most 9; eligible: Joined or Lost', () => {
    const m = members(
      cp('c', 'Joined'),
      cp('a', 'Lost'),
      cp('f', 'Failed'),
      cp('r', 'Removing'),
      cp('p', 'Pending'),
      { hostId: 'w', role: 'worker', state: 'Joined' },
    );
    expect(targetVoters(['c', 'a', 'f', 'r', 'p', 'w', 'gone'], m)).toEqual(['c', 'a', 'p']);
    const many = members(...Array.from({ length: 12 }, (_, i) => cp(`h${i}`, 'Joined')));
    expect(targetVoters([...many.keys()], many)).toHaveLength(9);
    expect(nextPolicy(snap({ order: ['c', 'a', 'p'] }), m)).toEqual({
      voters: ['c', 'a', 'p'],
      eligible: ['c', 'a'],
    });
    const s = snap({ policyVersion: 4, voters: ['c', 'a', 'p'], eligible: ['c', 'a'] });
    expect(policyOf(s)).toEqual({
      policyVersion: 4,
      voters: ['c', 'a', 'p'],
      eligible: [
        { hostId: 'c', priority: 3 },
        { hostId: 'a', priority: 2 },
      ],
    });
  });

  it('committed: a majority of the voters acknowledged the version or never got any policy', () => {
    const voters = ['a', 'b', 'c'];
    expect(committed(snap({ policyVersion: 5, voters, pushes: { a: [5, 5], b: [5, 4], c: [5, 4] } }))).toBe(
      false,
    );
    expect(committed(snap({ policyVersion: 5, voters, pushes: { a: [5, 5], b: [5, 5], c: [5, 0] } }))).toBe(
      true,
    );
    expect(committed(snap({ policyVersion: 5, voters, pushes: { a: [5, 5] } }))).toBe(true); // b, c never sent
    expect(committed(snap({ policyVersion: 5, voters, pushes: { a: [5, 5], b: [3, 3] } }))).toBe(true);
    expect(committed(snap({ policyVersion: 5, voters, pushes: { a: [5, 4], b: [3, 3] } }))).toBe(false);
  });

  it('next voters: one host per version, only once committed; the first policy and single changes go at once', () => {
    const rank = ['a', 'b', 'c', 'd', 'e'];
    expect(nextVoters(snap({}), ['a', 'b', 'c'], rank)).toEqual(['a', 'b', 'c']);
    const cur = { policyVersion: 3, voters: ['a', 'b', 'c'] };
    const acked = { a: [3, 3], b: [3, 3], c: [3, 3] } as Record<string, [number, number]>;
    const stale = { a: [3, 3], b: [3, 2], c: [3, 2] } as Record<string, [number, number]>;
    expect(nextVoters(snap({ ...cur, pushes: acked }), ['a', 'b', 'c', 'd', 'e'], rank)).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
    expect(nextVoters(snap({ ...cur, pushes: stale }), ['a', 'b', 'c', 'd', 'e'], rank)).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(nextVoters(snap({ ...cur, pushes: stale }), ['a', 'b', 'c', 'd'], rank)).toEqual(['a', 'b', 'c']);
    expect(nextVoters(snap({ ...cur, pushes: acked }), ['a', 'd', 'e'], rank)).toEqual(['a', 'c']); // removal first
    expect(nextVoters(snap({ ...cur, pushes: acked }), ['a', 'b', 'c'], rank)).toEqual(['a', 'b', 'c']);
  });

  it('reports: a claim moves the holder, the holder’s release clears it (or finds a claim that overtook it), others are late', () => {
    expect(reportEffect(null, 'a', true, [])).toEqual({ kind: 'moved', from: null, to: 'a' });
    expect(reportEffect('a', 'b', true, ['a'])).toEqual({ kind: 'moved', from: 'a', to: 'b' });
    expect(reportEffect('a', 'a', true, [])).toEqual({ kind: 'none' });
    expect(reportEffect('a', 'a', false, [])).toEqual({ kind: 'moved', from: 'a', to: null });
    expect(reportEffect('a', 'a', false, ['b'])).toEqual({ kind: 'moved', from: 'a', to: 'b' });
    expect(reportEffect('b', 'a', false, ['b'])).toEqual({ kind: 'lateRelease' });
  });
});
