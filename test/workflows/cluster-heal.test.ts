// Phases always heal (issue 11, point 4): a probe that fails after a renumbering degrades the cluster, the
// retry succeeds, the cluster is Ready again and then goes quiet (no retry timer left running).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterHarness, roles } from './support/cluster-harness.js';
import type { FakeHost } from './support/fake-host.js';

describe('phase healing', () => {
  let h: ClusterHarness;
  beforeEach(async () => {
    h = await ClusterHarness.create();
  });
  afterEach(async () => h.close());

  it('a failed probe degrades the cluster; the retry succeeds → Ready, and the workflow goes idle', async () => {
    const hosts = await h.addHosts(3);
    const [, flaky, moving] = hosts as [FakeHost, FakeHost, FakeHost];
    const { name, handle } = await h.startCluster(roles(hosts, 1), {
      retryIntervalMs: 1_000,
      reconcileDebounceMs: 100,
    });
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');

    flaky.behaviour.failProbes = 1;
    await h.renumber([moving], 81);
    const degraded = await h.waitForView(name, 'Degraded', (v) => v.phase === 'Degraded');
    expect(degraded.conditions.find((c) => c.type === 'OverlayReconciled')).toMatchObject({
      status: 'False',
      reason: 'ReconcileFailed',
      message: expect.stringContaining(flaky.hostId),
    });
    const healed = await h.waitForView(name, 'Ready again', (v) => v.phase === 'Ready', 10_000);
    expect(healed.conditions.every((c) => c.status === (c.type === 'Deleting' ? 'False' : 'True'))).toBe(
      true,
    );
    expect(flaky.count('probePeers')).toBeGreaterThanOrEqual(2);
    const phases = (await h.events(name)).filter((e) => e.type === 'PhaseChanged').map((e) => e.data.to);
    expect(phases.slice(-2)).toEqual(['Degraded', 'Ready']);

    // Healed means quiet: no retry timer keeps waking the workflow.
    const length = async () => (await handle.fetchHistory()).events?.length ?? 0;
    const settledAt = await length();
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await length()).toBe(settledAt);
  });
});
