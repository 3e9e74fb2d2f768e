// How many peer-table pushes run at once (since 'bounded-push-waves'). Every push carries the host's whole
// table, and the commands a workflow activation schedules travel in one gRPC message (4 MB at most): a round
// to 200 hosts of 200 peers each was ~4 MB already, and a renumbering at 1000 hosts would be ~100 MB. A
// round's pushes therefore start in waves sized to a byte budget; the rest wait in the round's queue and
// start as earlier pushes settle (or stall: a hanging host never holds a slot for the others).

/** Bytes of commands one wave may schedule: well below the 4 MB message with room for everything else. */
export const PUSH_WAVE_BYTES = 1_500_000;
/** A conservative size of one peer entry on the wire (hostId, addresses, seq, JSON overhead). */
export const PEER_ENTRY_BYTES = 160;
/** Never fewer than this many pushes at once, however large the tables. */
export const MIN_WAVE = 8;

/** Since 'peer-tables-by-reference' a command carries no table (a few hundred bytes whatever the cluster's
 * size): the wave only bounds the relay's work in flight (each push becomes a whole table on the broker). */
export const REF_PUSH_WAVE = 64;

/** Pushes that may run at once when each table has `tableSize` entries. */
export function pushWaveSize(tableSize: number): number {
  return Math.max(MIN_WAVE, Math.floor(PUSH_WAVE_BYTES / (PEER_ENTRY_BYTES * Math.max(1, tableSize))));
}

/** Room for new pushes: the wave size minus the pushes running that have not stalled. */
export function pushRoom(waveSize: number, runningNotStalled: number): number {
  return Math.max(0, waveSize - runningNotStalled);
}
