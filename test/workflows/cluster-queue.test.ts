// A cluster on the cluster queue (the production topology of src/worker.ts): its own Worker runs the
// cluster entity, and everything it does for its hosts (join children, relayed host commands) goes to the
// control queue, whose Worker holds the relay. The fake relay is registered on the control queue only, so a
// host command sent to the cluster queue would never be answered and the cluster would never be Ready.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteClusterUpdate, removeHostUpdate } from '../../src/contract/workflow-messages.js';
import { clusterWorkflowId, hostJoinWorkflowId } from '../../src/domain/ids.js';
import { ClusterHarness, roles } from './support/cluster-harness.js';
import { recordHistory } from './support/record.js';

describe('cluster queue', () => {
  let h: ClusterHarness;
  beforeEach(async () => {
    h = await ClusterHarness.create();
    await h.startClusterWorker();
  });
  afterEach(async () => h.close());

  it('runs the cluster on its own queue and its host work on the control queue', async () => {
    const hosts = await h.addHosts(3);
    const { name, handle } = await h.startCluster(roles(hosts, 1), {}, {}, { clusterQueue: true });
    const view = await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    expect(view.hosts.map((x) => x.state)).toEqual(['Joined', 'Joined', 'Joined']);
    expect(view.vipHolder).toBe(hosts[0]!.hostId);
    expect(h.host(view.vipHolder!).hasVip).toBe(true);

    expect((await handle.describe()).taskQueue).toBe(h.clusterTaskQueue);
    // Ready says every host joined and the VIP is held; the last membership push may still be on its way
    // (the phase waits only for underlay rounds), so the full tables are waited for, not assumed.
    await h.waitFor(
      'full peer tables',
      async () => hosts.map((f) => f.peers.length),
      (n) => n.every((x) => x === 2),
    );
    for (const fake of hosts) {
      const child = h.client.workflow.getHandle(hostJoinWorkflowId(name, fake.hostId));
      expect((await child.describe()).taskQueue).toBe(h.taskQueue);
    }

    // Removal and deletion from the cluster queue: their teardowns are relayed on the control queue too.
    const leaving = hosts[2]!;
    await handle.executeUpdate(removeHostUpdate, { args: [{ hostId: leaving.hostId }] });
    await h.waitForView(name, 'host removed', (v) => v.hosts.length === 2);
    expect(leaving.count('teardown')).toBe(1);
    await handle.executeUpdate(deleteClusterUpdate);
    await handle.result();
    for (const fake of hosts) expect(fake.count('teardown'), fake.hostId).toBe(1);
    await recordHistory(h.client, 'cluster', 'cluster-queue', clusterWorkflowId(name));
  });
});
