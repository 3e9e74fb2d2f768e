// The version guard wired as the agent wires it (guard over the beacon hook over the real host activities,
// src/agent/agent.ts), on a real kernel in network namespaces. A newer table's apply is held at its first
// command; an older table arrives meanwhile. Before the check moved to apply time, the older table passed
// on arrival, queued behind the newer one in the beacon hook, and ended in the kernel last.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostActivities } from '../../src/activities/host/contract.js';
import { createHostActivities } from '../../src/activities/host/index.js';
import { createBeaconAgentHook } from '../../src/agent/beacon/agent-hook.js';
import { guardPeerVersions } from '../../src/agent/peer-version.js';
import type { Peer } from '../../src/domain/types.js';
import { processRunner, fdbList, herDestinations, type Runner } from '../../src/net/index.js';
import { testSpec } from '../fixtures/overlay-spec.js';
import { createLab, type Lab, notRoot } from '../helpers/netns-lab.js';

const spec = testSpec({ clusterName: 'versions' });
const log = pino({ level: 'silent' });

/** The head-end replication targets in the kernel, read with the agent's own reader. */
const herDsts = async (ns: string) => herDestinations(await fdbList(processRunner, 'vxlan100', ns)).sort();

/** The real runner; `holdNext()` keeps the next command waiting until the returned release is called. */
function holdingRunner() {
  let hold: { reached: () => void; gate: Promise<void> } | undefined;
  const runner: Runner = {
    async run(file, args, opts) {
      const h = hold;
      hold = undefined;
      if (h) {
        h.reached();
        await h.gate;
      }
      return processRunner.run(file, args, opts);
    },
    spawnLines: (file, args, onLine) => processRunner.spawnLines(file, args, onLine),
  };
  const holdNext = () => {
    let release = () => {};
    let reached = () => {};
    const held = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    hold = { reached, gate };
    return { held, release };
  };
  return { runner, holdNext };
}

describe.skipIf(notRoot('peer-table versions on the kernel'))('peer-table versions on the kernel', () => {
  let lab: Lab;
  let guard: HostActivities;
  let stopBeacon: () => Promise<void> = async () => {};
  const { runner, holdNext } = holdingRunner();

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    const h1 = lab.hosts[0]!;
    const base = { hostId: h1.name, underlayIface: h1.iface, netns: h1.ns, runner, log };
    const beacon = createBeaconAgentHook({ hostId: h1.name, underlayIface: h1.iface, log });
    stopBeacon = () => beacon.stop();
    guard = guardPeerVersions(beacon.bind(createHostActivities({ ...base, memory: beacon.memory })));
    await guard.applyOverlay({ spec, overlayIp: '100.64.192.11' });
  });
  afterAll(async () => {
    await stopBeacon();
    await lab?.cleanup();
  });

  it('an older table sent while a newer one is being applied never replaces it', async () => {
    const peers = (n: number): Peer[] =>
      lab.hosts
        .slice(0, n)
        .map((h, i) => ({ hostId: h.name, underlayIp: h.underlayIp, overlayIp: `100.64.192.${11 + i}` }));
    const { held, release } = holdNext();
    const newer = guard.setPeers({ spec, peers: peers(3), version: 2000 });
    await held;
    const older = guard.setPeers({ spec, peers: peers(2), version: 1000 });
    // the older command is in the agent's hands before the newer one's apply goes on
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    expect(await newer).toMatchObject({ added: 2, removed: 0 });
    expect(await older).toEqual({ added: 0, removed: 0, stale: true });
    const want = [lab.hosts[1]!.underlayIp, lab.hosts[2]!.underlayIp].sort();
    expect(await herDsts(lab.hosts[0]!.ns)).toEqual(want);
  });
});
