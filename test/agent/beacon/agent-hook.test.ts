// The agent hook with real beacon sockets on the loopback (its "underlay" is lo, 127.0.0.1/8, so
// the directed broadcast 127.255.255.255 never leaves the host): a peer's beacon moves that peer
// in the local table through setPeers; a beacon under another cluster key moves nothing.
import { afterEach, describe, expect, it } from 'vitest';
import type { HostActivities, SetPeersInput } from '../../../src/activities/host/contract.js';
import { type BeaconAgentHook, createBeaconAgentHook } from '../../../src/agent/beacon/agent-hook.js';
import { generateBeaconKey } from '../../../src/agent/beacon/index.js';
import { freePort, waitFor } from '../../../src/dev/process.js';
import { testSpec } from '../../fixtures/overlay-spec.js';
import { createLogger } from '../../../src/log.js';

const log = createLogger({ level: 'silent', format: 'json' });
const spec = (beaconKey: string) => testSpec({ clusterName: 'hook', beaconKey });

/** Fake activities that only record setPeers calls and feed them back to the hook's memory. */
function fakeActivities(hook: () => BeaconAgentHook, calls: SetPeersInput[]): HostActivities {
  const no = () => Promise.reject(new Error('not in this test'));
  return {
    preflight: no,
    applyOverlay: no,
    assignVip: no,
    releaseVip: no,
    probePeers: no,
    teardown: no,
    async setPeers(input) {
      calls.push(input);
      await hook().memory.peersSet(input.spec, input.peers);
      return { added: 0, removed: 0 };
    },
  };
}

describe('beacon agent hook (loopback sockets)', () => {
  const hooks: BeaconAgentHook[] = [];
  afterEach(async () => {
    await Promise.all(hooks.map((h) => h.stop()));
    hooks.length = 0;
  });

  it('moves a known peer to the address its authenticated beacon announces', async () => {
    const port = await freePort();
    const key = generateBeaconKey();
    const calls: SetPeersInput[] = [];
    const a = createBeaconAgentHook({ hostId: 'a', underlayIface: 'lo', log, port, intervalMs: 100 });
    hooks.push(a);
    const bound = a.bind(fakeActivities(() => a, calls));
    await a.memory.overlayApplied({ spec: spec(key), overlayIp: '100.64.192.2' });
    await a.memory.peersSet(spec(key), [
      { hostId: 'a', underlayIp: '127.0.0.1', overlayIp: '100.64.192.2' },
      { hostId: 'b', underlayIp: '10.213.0.9', overlayIp: '100.64.192.3' },
    ]);

    // A beacon under another key (another cluster) must not move anything.
    const foreign = createBeaconAgentHook({ hostId: 'b', underlayIface: 'lo', log, port, intervalMs: 100 });
    hooks.push(foreign);
    foreign.bind(fakeActivities(() => foreign, []));
    await foreign.memory.overlayApplied({ spec: spec(generateBeaconKey()), overlayIp: '100.64.192.3' });
    await new Promise((r) => setTimeout(r, 400));
    expect(calls).toEqual([]);
    await foreign.stop();

    const b = createBeaconAgentHook({ hostId: 'b', underlayIface: 'lo', log, port, intervalMs: 100 });
    hooks.push(b);
    b.bind(fakeActivities(() => b, []));
    await b.memory.overlayApplied({ spec: spec(key), overlayIp: '100.64.192.3' });
    await waitFor('a to move b', async () => calls.length > 0, { timeoutMs: 3000, intervalMs: 20 });
    expect(calls[0]!.peers).toContainEqual({
      hostId: 'b',
      underlayIp: '127.0.0.1',
      overlayIp: '100.64.192.3',
    });
    expect(a.moves()).toBe(1);
    // Further beacons repeat the same address: nothing more to program.
    await new Promise((r) => setTimeout(r, 400));
    expect(calls).toHaveLength(1);
    // A table pushed by the control plane with b's old address (reports lag) keeps b's announced one.
    await bound.setPeers({
      spec: spec(key),
      peers: [{ hostId: 'b', underlayIp: '10.213.0.9', overlayIp: '100.64.192.3' }],
    });
    expect(calls.at(-1)!.peers).toEqual([
      { hostId: 'b', underlayIp: '127.0.0.1', overlayIp: '100.64.192.3' },
    ]);
  });

  it('without a beaconKey in the spec no beacon runs', async () => {
    const port = await freePort();
    const calls: SetPeersInput[] = [];
    const a = createBeaconAgentHook({ hostId: 'a', underlayIface: 'lo', log, port, intervalMs: 100 });
    hooks.push(a);
    a.bind(fakeActivities(() => a, calls));
    const { beaconKey: _omit, ...plain } = spec('x');
    await a.memory.overlayApplied({ spec: plain, overlayIp: '100.64.192.2' });
    await a.memory.peersSet(plain, [{ hostId: 'b', underlayIp: '10.213.0.9', overlayIp: '100.64.192.3' }]);
    const b = createBeaconAgentHook({ hostId: 'b', underlayIface: 'lo', log, port, intervalMs: 100 });
    hooks.push(b);
    b.bind(fakeActivities(() => b, []));
    await b.memory.overlayApplied({ spec: plain, overlayIp: '100.64.192.3' });
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toEqual([]);
  });
});
