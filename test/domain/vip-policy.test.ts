import { describe, expect, it } from 'vitest';
import { initialVipWaits } from '../../src/domain/vip-policy.js';
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
