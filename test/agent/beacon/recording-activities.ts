// Host activities for beacon tests that only set peers: every table goes to `onTable`, then into the
// hook's memory as the real setPeers activity does after programming the kernel. Anything else rejects.
import type { HostActivities, SetPeersInput } from '../../../src/activities/host/contract.js';
import type { BeaconAgentHook } from '../../../src/agent/beacon/index.js';

export function recordingActivities(
  hook: () => BeaconAgentHook,
  onTable: (input: SetPeersInput) => void,
): HostActivities {
  const no = () => Promise.reject(new Error('not in this test'));
  return {
    preflight: no,
    applyOverlay: no,
    assignVip: no,
    releaseVip: no,
    probePeers: no,
    teardown: no,
    reset: no,
    async setPeers(input) {
      onTable(input);
      await hook().memory.peersSet(input.spec, input.peers);
      return { added: 0, removed: 0 };
    },
  };
}
