// The per-start beacon epoch grows on every start: from the file when the clock went back, from the
// clock when the file is gone or junk; it is persisted 0600 and a write failure never stops the agent.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BEACON_EPOCH_FILE, nextBootEpoch, nextEpoch } from '../../../src/agent/beacon/index.js';

const dirs: string[] = [];
const stateDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'eo-epoch-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('beacon epoch', () => {
  it('nextEpoch is above the previous one and at least the clock', () => {
    expect(nextEpoch(undefined, 1_800_000_000_000)).toBe(1_800_000_000_000);
    expect(nextEpoch(1_800_000_000_000, 5)).toBe(1_800_000_000_001); // clock went back (no RTC)
    expect(nextEpoch(5, 1_800_000_000_000)).toBe(1_800_000_000_000);
  });

  it('every start gets a larger epoch, persisted 0600, even with the clock standing still or going back', async () => {
    const dir = stateDir();
    const e1 = await nextBootEpoch(dir, undefined, 1_000);
    const e2 = await nextBootEpoch(dir, undefined, 1_000);
    const e3 = await nextBootEpoch(dir, undefined, 10);
    expect([e1, e2, e3]).toEqual([1_000, 1_001, 1_002]);
    const file = join(dir, BEACON_EPOCH_FILE);
    expect(readFileSync(file, 'utf8')).toBe('1002\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a junk file is replaced from the clock; an unusable path still yields an epoch, with warnings', async () => {
    const dir = stateDir();
    writeFileSync(join(dir, BEACON_EPOCH_FILE), 'garbage');
    expect(await nextBootEpoch(dir, undefined, 4242)).toBe(4242);
    // a directory where the file should be: unreadable and unwritable, even for root
    const blocked = stateDir();
    mkdirSync(join(blocked, BEACON_EPOCH_FILE));
    const warnings: string[] = [];
    const log = { warn: (_o: unknown, m: string) => warnings.push(m) } as unknown as Logger;
    expect(await nextBootEpoch(blocked, log, 777)).toBe(777);
    expect(warnings).toEqual([
      'beacon epoch file unusable; seeding the epoch from the clock',
      'beacon epoch not persisted; a restart re-seeds it from the clock',
    ]);
  });
});
