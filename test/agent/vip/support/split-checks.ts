// What a split with the holder on the majority side must show (elector-netns: 2|1 of 3; elector-partitions:
// 3|2 of 5), in one place: never two holders, the holder kept the VIP at every sample, the minority held
// none, and nobody claimed.
import { expect } from 'vitest';
import type { VipSplitRun } from '../../../../src/lab/vip-lab-partitions.js';
import type { VipLab } from '../../../../src/lab/vip-lab.js';

export function expectHolderKept(lab: VipLab, r: VipSplitRun): void {
  expect(r.violations).toBe(0);
  expect(r.gapSamples).toBe(0);
  expect(r.minorityHeld).toBe(0);
  expect(lab.gainsAfter(Date.now() - 5000)).toEqual([]); // nobody claimed: no move at all
}
