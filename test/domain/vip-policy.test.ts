import { describe, expect, it } from 'vitest';
import { initialVipWaits, vipMoveReason } from '../../src/domain/vip-policy.js';
import type { HostRole, HostState } from '../../src/domain/types.js';

const host = (role: HostRole, state: HostState) => ({ role, state });

describe('initialVipWaits', () => {
  it('waits for a joining control-plane host before the VIP is first placed', () => {
    expect(initialVipWaits([host('control-plane', 'Joined'), host('control-plane', 'Joining')], null)).toBe(
      true,
    );
  });

  it('never waits once a holder exists, for joining workers, or after a control-plane host was lost', () => {
    expect(initialVipWaits([host('control-plane', 'Joining')], 'h1')).toBe(false);
    expect(initialVipWaits([host('control-plane', 'Joined'), host('worker', 'Joining')], null)).toBe(false);
    expect(
      initialVipWaits(
        [host('control-plane', 'Lost'), host('control-plane', 'Joined'), host('control-plane', 'Joining')],
        null,
      ),
    ).toBe(false);
  });
});

describe('vipMoveReason', () => {
  it.each([
    { previous: null, holder: undefined, since: 'v4', reason: 'Initial' },
    { previous: null, holder: undefined, since: 'v3', reason: 'Initial' },
    { previous: 'h1', holder: undefined, since: 'v4', reason: 'HolderRemoved' },
    { previous: 'h1', holder: undefined, since: 'v3', reason: 'HolderRemoved' },
    { previous: 'h1', holder: 'Removing', since: 'v4', reason: 'HolderRemoved' },
    { previous: 'h1', holder: 'Removing', since: 'v3', reason: 'HolderRemoving' },
    { previous: 'h1', holder: 'Lost', since: 'v4', reason: 'HolderLost' },
    { previous: 'h1', holder: 'Lost', since: 'v3', reason: 'HolderLost' },
    { previous: 'h1', holder: 'Failed', since: 'v4', reason: 'HolderFailed' },
  ] as const)(
    'previous $previous, holder $holder ($since) → $reason',
    ({ previous, holder, since, reason }) => {
      expect(vipMoveReason(previous, holder, since === 'v4')).toBe(reason);
    },
  );
});
