// The seed's storm: the DHCP server comes back with a different range and no leases, and every host
// loses and re-acquires its address. Returns old/new addresses and when the last lease landed.
import { eventsFileFor, readLeaseEvents, waitForLeaseEvent } from './dhcp.js';
import {
  startDhcpClients,
  startDhcpServer,
  stopDhcpClient,
  stopDhcpServer,
  underlayAddresses,
} from './lab.js';
import { type LabState, saveLabState } from './state.js';

export interface OutageResult {
  before: Record<string, string | null>;
  after: Record<string, string>;
  /** Wall clock (ms) when the outage started. */
  startedAtMs: number;
  /** Wall clock (ms) of the last host's new lease, from the udhcpc hook's event log. */
  lastLeaseAtMs: number;
  /** startedAt → last lease. */
  renumberMs: number;
}

export interface OutageOptions {
  /** Called between "every host lost its address" and the restart of the clients. */
  whileDown?: () => Promise<void>;
  timeoutMs?: number;
}

export async function runOutage(state: LabState, o: OutageOptions = {}): Promise<OutageResult> {
  if (!state.dhcp) throw new Error('the outage needs a DHCP lab (lab up --dhcp)');
  const before = await underlayAddresses(state);
  const startedAtMs = Date.now();
  await stopDhcpServer(state, { clearLeases: true });
  state.activePool = state.activePool === 0 ? 1 : 0;
  await startDhcpServer(state);
  // A killed udhcpc (without -R) leaves its address; the new instance's deconfig removes it. The lab
  // state is written once per step, not once per host (see startDhcpClients).
  await Promise.all(state.hosts.map((h) => stopDhcpClient(state, h, { save: false })));
  saveLabState(state);
  if (o.whileDown) await o.whileDown();
  const clientsAt = Date.now();
  // All at once, as after a real site outage: started one after the other (each waits until its `ip netns
  // exec` has exec'd udhcpc) the 20-host lab's leases spread over ~6 s; started with a spawn each from
  // this process, they spread over 1-2 s and blocked its event loop as long (spawn-many.ts).
  await startDhcpClients(state, state.hosts);
  const after: Record<string, string> = {};
  // From the hook's event log (written once the address is set): no `ip` process per host and poll.
  await Promise.all(
    state.hosts.map(async (h) => {
      after[h.hostId] = await waitForLeaseEvent(eventsFileFor(state.runDir, h.hostId), {
        notThis: before[h.hostId] ?? null,
        sinceMs: clientsAt,
        timeoutMs: o.timeoutMs ?? 60_000,
      });
    }),
  );
  const lastLeaseAtMs = Math.max(
    ...state.hosts.map((h) => {
      const bound = readLeaseEvents(eventsFileFor(state.runDir, h.hostId)).filter(
        (e) => e.kind === 'bound' && e.timeMs >= startedAtMs && e.ip === after[h.hostId],
      );
      return bound.at(-1)?.timeMs ?? Date.now();
    }),
  );
  return { before, after, startedAtMs, lastLeaseAtMs, renumberMs: lastLeaseAtMs - startedAtMs };
}
