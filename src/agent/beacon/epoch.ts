// The per-start beacon epoch (replay.ts): a persisted counter seeded by the wall clock.
//   epoch = max(last persisted epoch + 1, Date.now()), written (0600, atomically) before it is used.
// Why not a random 64-bit epoch: random epochs cannot be ordered, so a receiver could not tell a restart
// from a replayed recording of an earlier run, and an attacker could flip it between two recorded runs.
// Why the clock seed: a lost or unreadable file (new disk, wiped state dir) still yields an epoch above
// the old ones as long as the clock is roughly right. Why the file: an edge box without a real-time
// clock that boots in 1970 still moves forward (persisted + 1). Only both failing at once (file lost AND
// clock behind) makes peers refuse this host's beacons until their next restart or a new host key.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { readStateFile, writeFileAtomic } from '../state-file.js';

export const BEACON_EPOCH_FILE = 'beacon-epoch';

/** The next epoch after `previous` (undefined: none known). Pure. */
export function nextEpoch(previous: number | undefined, nowMs: number): number {
  const fromClock = Math.max(1, Math.floor(nowMs));
  return previous === undefined ? fromClock : Math.max(previous + 1, fromClock);
}

function parseEpoch(text: string): number | undefined {
  const n = Number(text.trim());
  return Number.isSafeInteger(n) && n > 0 && n < Number.MAX_SAFE_INTEGER ? n : undefined;
}

/**
 * Call once per agent start with the agent's state dir (0700); pass the result as the beacon's `epoch`.
 * Never throws: when the file cannot be written the clock-seeded epoch is used and a warning logged.
 */
export async function nextBootEpoch(stateDir: string, log?: Logger, nowMs = Date.now()): Promise<number> {
  const path = join(stateDir, BEACON_EPOCH_FILE);
  const read = await readStateFile(path);
  const previous = read.kind === 'text' ? parseEpoch(read.text) : undefined;
  if (read.kind === 'unreadable' || (read.kind === 'text' && previous === undefined))
    log?.warn({ path }, 'beacon epoch file unusable; seeding the epoch from the clock');
  const epoch = nextEpoch(previous, nowMs);
  try {
    await writeFileAtomic(path, `${epoch}\n`);
  } catch (err) {
    log?.warn({ err: String(err), path }, 'beacon epoch not persisted; a restart re-seeds it from the clock');
  }
  return epoch;
}
