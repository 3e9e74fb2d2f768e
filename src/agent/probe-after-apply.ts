// A pushed setPeers may ask for a probe of the table's peers (the workflow's verify round in one round
// trip). The probe pings every peer and, when one does not answer, takes ~1.7 s (one quick echo, then three
// more with a 1 s wait: activities/host/probe.ts). Run inside the host's setPeers it held every queue the
// apply goes through for that long: the beacon hook's (so a peer's beacon move waited behind the probe of
// the very table it corrected) and the peer-version guard's (so did the next pushed table). Seen in the
// 5-host renumbering lab: the overlay back ~2.4 s after the last lease in half the outages, ~0.5 s in the
// others. So the agent applies the table through those queues without the probe and probes after, outside
// them: the same result, measured once the table is in place.
import type { HostActivities } from '../activities/host/contract.js';

export function probeAfterApply(a: HostActivities, hostId: string): HostActivities {
  return {
    ...a,
    setPeers: async (input) => {
      // Not an object at all: the apply refuses it with the host's usual InvalidInput.
      if (!input?.probe) return a.setPeers(input);
      const { probe: _probe, ...table } = input;
      const result = await a.setPeers(table);
      // A stale table was not applied (a newer one is in place): there is nothing of it to probe.
      if (result.stale) return result;
      // The apply parsed the input: `peers` is a valid table here.
      const targets = table.peers.filter((p) => p.hostId !== hostId).map((p) => p.overlayIp);
      if (targets.length === 0) return result;
      return { ...result, probe: await a.probePeers({ targets }) };
    },
  };
}
