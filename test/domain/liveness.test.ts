import { describe, expect, it } from 'vitest';
import { lostHostIds, nextLivenessDeadline } from '../../src/domain/liveness.js';
import type { HostState } from '../../src/domain/types.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const host = (hostId: string, state: HostState, lastSeen: string | null) => ({ hostId, state, lastSeen });
const TIMEOUT = 45_000;

describe('lostHostIds', () => {
  it.each([
    {
      name: 'silent exactly the timeout',
      hosts: [host('a', 'Joined', at(0))],
      now: T0 + TIMEOUT,
      lost: ['a'],
    },
    { name: 'one ms short of the timeout', hosts: [host('a', 'Joined', at(1))], now: T0 + TIMEOUT, lost: [] },
    { name: 'never seen counts as the epoch', hosts: [host('a', 'Joined', null)], now: T0, lost: ['a'] },
    {
      name: 'only Joined hosts',
      hosts: (['Pending', 'Joining', 'Failed', 'Lost', 'Removing'] as const).map((s) => host(s, s, null)),
      now: T0 + TIMEOUT,
      lost: [],
    },
    {
      name: 'keeps the given order',
      hosts: [host('c', 'Joined', at(0)), host('a', 'Joined', at(10_000)), host('b', 'Joined', at(0))],
      now: T0 + TIMEOUT + 5_000,
      lost: ['c', 'b'],
    },
  ])('$name', ({ hosts, now, lost }) => {
    expect(lostHostIds(hosts, now, TIMEOUT)).toEqual(lost);
  });
});

describe('nextLivenessDeadline', () => {
  it.each([
    { name: 'no hosts', hosts: [], deadline: null },
    { name: 'no Joined host', hosts: [host('a', 'Lost', at(0)), host('b', 'Pending', null)], deadline: null },
    {
      name: 'the oldest heartbeat of a Joined host',
      hosts: [host('a', 'Joined', at(5_000)), host('b', 'Joined', at(2_000)), host('c', 'Lost', at(0))],
      deadline: T0 + 2_000 + TIMEOUT,
    },
    { name: 'never seen: due at once', hosts: [host('a', 'Joined', null)], deadline: TIMEOUT },
  ])('$name', ({ hosts, deadline }) => {
    expect(nextLivenessDeadline(hosts, TIMEOUT)).toBe(deadline);
  });
});
