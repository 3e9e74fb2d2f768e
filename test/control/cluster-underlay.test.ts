// A host's new underlay address reaches its cluster from the control worker's relay only, once per report
// (real mosquitto, real Temporal dev server, the real hostWorkflow; a signal sink stands in for the
// cluster). Since 'relay-tells-cluster' the host workflow no longer signals the cluster, so the relay must
// also cover what only the host workflow's signal covered: a process that does not know the host's cluster
// yet (just restarted), and a crash between the host workflow's update and the signal.
import { describe, expect, it } from 'vitest';
import { claimHostUpdate } from '../../src/contract/workflow-messages.js';
import { hostTopic } from '../../src/contract/host-channel.js';
import { clusterWorkflowId, hostWorkflowId } from '../../src/domain/ids.js';
import { getHost, registerHost, reportUnderlay } from '../../src/temporal/hosts.js';
import { startFakeHost } from './support/fake-host.js';
import { useRelayHarness } from './support/harness.js';
import { sinkSignals } from './support/sink-signals.js';
import { uniqueHostId, waitUntil } from './support/wait.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('host relay: the cluster hears of a new underlay address once', () => {
  const h = useRelayHarness();
  const stats = () => h.control.relay!.stats();

  /** A registered host claimed by a signal sink standing in for its cluster; the underlay changes the sink
   * received (underlayChanged or the relay's batches), as {seq, underlayIp}. */
  async function clusteredHost(name: string) {
    const hostId = uniqueHostId(name);
    await registerHost(
      h.client,
      { hostId, underlayIp: '10.78.0.1', underlayIface: 'eth0' },
      { taskQueue: h.taskQueue },
    );
    const cluster = `sink-${hostId}`;
    const sink = await h.client.workflow.start('signalSinkWorkflow', {
      workflowId: clusterWorkflowId(cluster),
      taskQueue: h.taskQueue,
    });
    await h.client.workflow
      .getHandle(hostWorkflowId(hostId))
      .executeUpdate(claimHostUpdate, { args: [{ cluster }] });
    const signals = async () =>
      (await sinkSignals(sink)).flat().map(({ seq, underlayIp }) => ({ seq, underlayIp }));
    return { hostId, cluster, sink, signals };
  }

  it('a report of a host whose cluster the relay knows is one signal, not two', async () => {
    const { hostId, cluster, sink, signals } = await clusteredHost('once');
    try {
      h.control.relay!.announceMembership(hostId, cluster);
      const host = await startFakeHost(h.broker, hostId);
      await waitUntil(() => host.received.some((m) => m.topic === hostTopic(hostId, 'membership')));
      await host.publish('underlay', { seq: 30, underlayIp: '10.78.0.30', underlayIface: 'eth0' }, true);
      await waitUntil(async () => (await getHost(h.client, hostId))?.underlaySeq === 30, 10_000, 'update');
      await waitUntil(async () => (await signals()).length > 0, 10_000, 'signal');
      await sleep(800); // the host workflow's signal came one workflow task after its update
      expect(await signals()).toEqual([{ seq: 30, underlayIp: '10.78.0.30' }]);
    } finally {
      await sink.terminate('test done');
    }
  });

  it('a report taken by the host workflow before a crash is told to the cluster by the next process (retained report)', async () => {
    const { hostId, sink, signals } = await clusteredHost('crash');
    try {
      const host = await startFakeHost(h.broker, hostId);
      // The previous process ran the update (the host workflow does not signal), then died before its signal.
      const report = { seq: 40, underlayIp: '10.78.0.40', underlayIface: 'eth0' };
      await reportUnderlay(h.client, { hostId, ...report }, { taskQueue: h.taskQueue });
      await h.stopControl();
      await host.publish('underlay', report, true);
      await sleep(300);
      expect(await signals()).toEqual([]);
      // The new process knows no membership: no early signal; the retained report comes with its first
      // SUBSCRIBE, the update changes nothing and answers the record, and the cluster is told from it.
      await h.startControl();
      await waitUntil(async () => (await signals()).length > 0, 15_000, 'signal after the restart');
      expect(await signals()).toEqual([{ seq: 40, underlayIp: '10.78.0.40' }]);
      expect(stats().clusterSignalsAfterUpdate).toBeGreaterThanOrEqual(1);
      // A newer report now goes the early way, once.
      await host.publish('underlay', { ...report, seq: 41, underlayIp: '10.78.0.41' }, true);
      await waitUntil(async () => (await signals()).length === 2, 10_000, 'signal of 41');
      await sleep(800);
      expect((await signals()).map((s) => s.seq)).toEqual([40, 41]);
    } finally {
      await sink.terminate('test done');
    }
  });
});
