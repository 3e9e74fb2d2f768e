// A verify round after a renumbering: each host probes its whole table with the push, and the round's
// OverlayReconciled names the peers that did not answer. Only Joined peers count (one still joining, or an
// address no member has, is not "unreachable"); peers that answered leave no entry (src/workflows/peer-sync.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterHarness, roles } from './support/cluster-harness.js';
import type { FakeHost } from './support/fake-host.js';

describe('verify round: unreachable peers', () => {
  let h: ClusterHarness;
  beforeEach(async () => {
    h = await ClusterHarness.create();
  });
  afterEach(async () => h.close());

  it('names the Joined peers a host could not reach, and nothing else', async () => {
    const hosts = await h.addHosts(3);
    const [prober, silentPeer, moving] = hosts as [FakeHost, FakeHost, FakeHost];
    const { name } = await h.startCluster(roles(hosts, 1), { reconcileDebounceMs: 100 });
    const ready = await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    const ipOf = (f: FakeHost) => ready.hosts.find((x) => x.hostId === f.hostId)!.overlayIp!;
    const mark = Math.max(...(await h.events(name)).map((e) => e.seq));

    // A Joined peer and an address no member has (a stale neighbour, say) do not answer the prober.
    prober.behaviour.silentTargets = [ipOf(silentPeer), '100.64.250.250'];
    await h.renumber([moving], 82);
    const events = await h.waitFor(
      'a verify round',
      () => h.events(name),
      (ev) =>
        ev.some(
          (e) => e.seq > mark && e.type === 'OverlayReconciled' && e.data['trigger'] === 'UnderlayChanged',
        ),
    );
    const round = events.find(
      (e) => e.seq > mark && e.type === 'OverlayReconciled' && e.data['trigger'] === 'UnderlayChanged',
    )!;
    expect(round.data['unreachable']).toEqual({ [prober.hostId]: ipOf(silentPeer) });
  });
});
