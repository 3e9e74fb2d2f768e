// Site VIP reports from a host's own `vip` topic to its cluster's workflow, through the control worker's
// relay (real mosquitto with mTLS and per-host ACLs, real Temporal dev server; a signal sink stands in for
// `cluster/<name>`).
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { hostTopic } from '../../src/contract/host-channel.js';
import { claimHostUpdate } from '../../src/contract/workflow-messages.js';
import { clusterWorkflowId, hostWorkflowId } from '../../src/domain/ids.js';
import { registerHost } from '../../src/temporal/hosts.js';
import { type FakeHost, startFakeHost } from './support/fake-host.js';
import { useRelayHarness } from './support/harness.js';
import { uniqueHostId, waitUntil } from './support/wait.js';

/** The vipReport signals in the sink's history, in order. */
async function vipSignals(sink: WorkflowHandle): Promise<unknown[]> {
  const history = await sink.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a) => a?.signalName === 'vipReport')
    .map((a) => JSON.parse(Buffer.from(a!.input!.payloads![0]!.data!).toString()));
}

/** What an agent publishes on its own `vip` leaf (QoS 1, not retained). */
const publishVip = (host: FakeHost, message: unknown) =>
  host.client.publishAsync(hostTopic(host.hostId, 'vip'), JSON.stringify(message), { qos: 1 });

const report = (cluster: string, seq: number, holding: boolean) => ({
  cluster,
  seq,
  holding,
  reason: holding ? 'Initial' : 'QuorumLost',
  at: 1_770_000_000_000 + seq,
  policyVersion: 3,
});

describe('host relay: site VIP reports', () => {
  const h = useRelayHarness();
  const stats = () => h.control.relay!.stats();
  const register = (hostId: string) =>
    registerHost(
      h.client,
      { hostId, underlayIp: '10.77.0.1', underlayIface: 'eth0' },
      { taskQueue: h.taskQueue },
    );
  const startSink = (cluster: string) =>
    h.client.workflow.start('signalSinkWorkflow', {
      workflowId: clusterWorkflowId(cluster),
      taskQueue: h.taskQueue,
    });

  it("relays a host's reports to its cluster in order, with the topic's host; hostile and foreign ones are dropped", async () => {
    const hostId = uniqueHostId('vip');
    await register(hostId);
    const cluster = `vip-${hostId}`;
    const other = await startSink(`other-${hostId}`);
    const sink = await startSink(cluster);
    try {
      h.control.relay!.announceMembership(hostId, cluster);
      const host = await startFakeHost(h.broker, hostId);
      const before = stats();
      await publishVip(host, report(cluster, 1, true));
      await publishVip(host, { ...report(cluster, 2, false), hostId: 'someone-else' }); // unknown key
      await publishVip(host, { ...report(cluster, 3, false), seq: -1 });
      await publishVip(host, 'not json at all');
      await publishVip(host, report(`other-${hostId}`, 4, true)); // a host reports for its own cluster only
      await publishVip(host, report(cluster, 5, false));
      await publishVip(host, report(cluster, 6, true));
      await waitUntil(() => stats().vipRelayed === before.vipRelayed + 3, 10_000, 'three relayed');
      expect(stats().vipInvalid - before.vipInvalid).toBe(3);
      expect(stats().vipForeign - before.vipForeign).toBe(1);
      expect(await vipSignals(sink)).toEqual([
        { hostId, ...report(cluster, 1, true) },
        { hostId, ...report(cluster, 5, false) },
        { hostId, ...report(cluster, 6, true) },
      ]);
      expect(await vipSignals(other)).toEqual([]);
      await host.close();
    } finally {
      await sink.terminate('test done');
      await other.terminate('test done');
    }
  });

  it('finds the cluster in the host registry when this process has not published the membership', async () => {
    const hostId = uniqueHostId('vipreg');
    await register(hostId);
    const cluster = `reg-${hostId}`;
    const sink = await startSink(cluster);
    try {
      await h.client.workflow
        .getHandle(hostWorkflowId(hostId))
        .executeUpdate(claimHostUpdate, { args: [{ cluster }] });
      const host = await startFakeHost(h.broker, hostId);
      const before = stats().vipRelayed;
      await publishVip(host, report(cluster, 10, true));
      await waitUntil(() => stats().vipRelayed === before + 1, 10_000, 'relayed through the registry');
      expect(await vipSignals(sink)).toEqual([{ hostId, ...report(cluster, 10, true) }]);

      // A host in no cluster has nobody to report to.
      const loner = uniqueHostId('vipnone');
      await register(loner);
      const lonely = await startFakeHost(h.broker, loner);
      const foreign = stats().vipForeign;
      await publishVip(lonely, report(cluster, 1, true));
      await waitUntil(() => stats().vipForeign === foreign + 1, 10_000, 'dropped');
      expect(await vipSignals(sink)).toHaveLength(1);
      await host.close();
      await lonely.close();
    } finally {
      await sink.terminate('test done');
    }
  });
});
