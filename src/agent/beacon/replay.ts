// Replay protection without a wall clock: every beacon carries (epoch, counter).
//
// The sender picks its epoch once per agent start, larger than every epoch it used before (epoch.ts:
// max(persisted + 1, wall-clock ms), persisted before the first beacon), and counts 1, 2, 3… within it.
// So (epoch, counter) in lexicographic order is the order in which the sender signed its beacons.
//
// The receiver keeps, per sender, the position of the last beacon it ACCEPTED (signature checked) and
// accepts a beacon only if its position is strictly after that one:
//   - same epoch, higher counter  → newer beacon of the same run: accepted;
//   - same epoch, equal or lower  → duplicate, replay, or a packet overtaken on the way: rejected;
//   - higher epoch                → the sender restarted: accepted (its counter starts again at 1);
//   - lower epoch                 → a recording from an earlier run, even one never seen before: rejected,
//                                   so state never rolls back to before a restart.
// Nothing depends on the receiver's or the sender's clock (the epoch's wall-clock seed only makes a
// lost epoch file still move forward; the persisted value keeps it moving when the clock goes back).
//
// Limits, by design: a receiver that restarts forgets positions, so it may accept ONE old recording per
// sender before that sender's next beacon (≤ 1 s) moves it on; the peer-table seq rule (peer-order.ts)
// still refuses an address older than the one the host holds. State is keyed by the sender's public key
// too: a host that re-enrolled (new key, maybe a wiped epoch file) starts afresh instead of being shut
// out by the positions of its previous identity.

export interface BeaconPosition {
  epoch: number;
  counter: number;
}

/** True when `next` was signed after `last` by the same sender (see the rule above). */
export function isAfter(next: BeaconPosition, last: BeaconPosition | undefined): boolean {
  if (!last) return true;
  if (next.epoch !== last.epoch) return next.epoch > last.epoch;
  return next.counter > last.counter;
}
