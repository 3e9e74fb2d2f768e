// Peer tables carry a version (workflow time of the push): a table older than the one in place is left
// alone, whatever order commands arrive in (a retry queued in the broker session, a redelivery). Local
// calls without a version (the beacon moving a peer) always pass: their ordering is by report sequence.
import type { HostActivities } from '../activities/host/contract.js';

export function guardPeerVersions(activities: HostActivities): HostActivities {
  let newest = 0;
  return {
    ...activities,
    async setPeers(input) {
      const version = input.version;
      if (version !== undefined && version < newest) return { added: 0, removed: 0, stale: true };
      const result = await activities.setPeers(input);
      if (version !== undefined && version > newest) newest = version;
      return result;
    },
  };
}
