// Peer tables carry a version (workflow time of the push): a table older than the one in place is left
// alone, whatever order commands arrive in (a retry queued in the broker session, a redelivery). Local
// calls without a version (the agent's start re-applying its stored table) always pass.
//
// The check has to happen AT APPLY TIME. The dispatcher runs commands concurrently, and an apply takes tens
// of ms; checked on arrival, an older table that arrived while a newer one was being applied passed (the
// newer one was not recorded yet) and was then applied after it (issue 12 point 3). So pushed tables go
// through one queue here, and each is checked when its turn comes, against the newest table applied.
//
// The queue is bounded: an apply that runs past `boundMs` no longer holds the next one back (a hung
// kernel command must not freeze every later table; the default is the command's own start-to-close,
// after which nobody waits for its result). We cannot cancel the hung apply, so its later completion (or a
// write it makes on the way) may land on top of a newer table. Therefore, when an apply that was overtaken
// that way settles, the guard re-applies the newest table it has applied, through the same queue, and the
// overtaken apply answers `stale` unless it is itself the newest. The kernel, the state file and the
// beacon's table thus end with the newest table again; in the common case (no apply over the bound)
// nothing of this runs.
import type { Logger } from 'pino';
import type { HostActivities, SetPeersInput, SetPeersResult } from '../activities/host/contract.js';

/** setPeers' start-to-close on the control side (workflows/activity-options.ts): past it the command has
 * timed out there, and its retry must not wait behind the hung attempt. */
export const SETPEERS_APPLY_BOUND_MS = 30_000;

export interface PeerVersionGuardOptions {
  /** How long one apply may hold the later ones back. Default SETPEERS_APPLY_BOUND_MS. */
  boundMs?: number;
  /** Where an apply over the bound and the repair after it are logged. */
  log?: Logger;
}

const stale = (): SetPeersResult => ({ added: 0, removed: 0, stale: true });

export function guardPeerVersions(
  activities: HostActivities,
  o: PeerVersionGuardOptions = {},
): HostActivities {
  const boundMs = o.boundMs ?? SETPEERS_APPLY_BOUND_MS;
  /** The newest version applied. */
  let newest = 0;
  /** The table the kernel should hold: the newest one applied (what a repair re-applies). */
  let current: SetPeersInput | undefined;
  /** Applies started so far: an apply is overtaken when a later one starts before it has settled. */
  let starts = 0;
  /** Settles when the last queued apply has settled or passed its bound: the next one starts then. */
  let tail: Promise<void> = Promise.resolve();

  /** `table` is read when the turn comes (a repair re-applies the newest table of THAT moment). */
  const enqueue = (table: () => SetPeersInput | undefined): Promise<SetPeersResult | undefined> => {
    const previous = tail;
    let release = () => {};
    tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    return previous.then(() => {
      const input = table();
      if (input) return apply(input, release);
      release();
      return undefined;
    });
  };

  const apply = async (input: SetPeersInput, release: () => void): Promise<SetPeersResult> => {
    const version = input.version;
    if (version !== undefined && version < newest) {
      release();
      return stale();
    }
    const mine = ++starts;
    let overBound = false;
    const timer = setTimeout(() => {
      overBound = true;
      o.log?.warn({ version, boundMs }, 'setPeers over its bound: the next table goes ahead');
      release();
    }, boundMs);
    timer.unref?.();
    let result: SetPeersResult | undefined;
    let failure: unknown;
    try {
      result = await activities.setPeers(input);
    } catch (err) {
      failure = err;
    } finally {
      clearTimeout(timer);
      release();
    }
    const overtaken = overBound && starts > mine;
    // Overtaken, this table is the one to keep only if it is newer than every table applied meanwhile.
    const keep = !overtaken || (version !== undefined && version >= newest);
    if (result && keep) {
      if (version !== undefined) newest = Math.max(newest, version);
      current = input;
    }
    if (overtaken) await repair(version);
    if (failure !== undefined) throw failure;
    return result && !keep ? { ...result, stale: true } : (result as SetPeersResult);
  };

  // An overtaken apply may have written over a newer table (or mixed with it): put the newest one back.
  const repair = async (lateVersion: number | undefined) => {
    o.log?.warn({ lateVersion }, 'an overtaken setPeers settled: re-applying the newest table');
    const again = () => {
      if (!current) return undefined;
      const { probe: _probe, ...table } = current;
      return table;
    };
    await enqueue(again).catch((err) => o.log?.warn({ err: String(err) }, 'peer table repair failed'));
  };

  return {
    ...activities,
    setPeers: async (input) => (await enqueue(() => input)) as SetPeersResult,
  };
}
