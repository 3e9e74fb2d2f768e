// Underlay reports and liveness from the host's own topics to the REAL hostWorkflow, through the control
// worker's relay (real mosquitto, real Temporal dev server).
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { hostWorkflowType } from '../../src/contract/workflow-messages.js';
import { clusterWorkflowId, hostWorkflowId } from '../../src/domain/ids.js';
import { hostTopic } from '../../src/contract/host-channel.js';
import { getHost, registerHost } from '../../src/temporal/hosts.js';
import { startFakeHost } from './support/fake-host.js';
import { useRelayHarness } from './support/harness.js';
import { sinkSignals } from './support/sink-signals.js';
import { uniqueHostId, waitUntil } from './support/wait.js';

const hid = uniqueHostId;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How many hostPresence signals the host workflow's history holds. */
async function presenceSignals(client: Client, hostId: string): Promise<number> {
  const history = await client.workflow.getHandle(hostWorkflowId(hostId)).fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'hostPresence',
  ).length;
}

describe('host relay: underlay reports and presence', () => {
  const h = useRelayHarness();
  const stats = () => h.control.relay!.stats();
  const register = (hostId: string) =>
    registerHost(
      h.client,
      { hostId, underlayIp: '10.77.0.1', underlayIface: 'eth0' },
      { taskQueue: h.taskQueue },
    );

  it('a newer underlay report reaches the host workflow; the membership goes back retained, once', async () => {
    const hostId = hid('under');
    await register(hostId);
    const creds = await h.broker.credentials(hostId);
    const host = await startFakeHost(h.broker, hostId, { creds });
    const report = { seq: 100, underlayIp: '10.77.0.2', underlayIface: 'eth0', prefixLength: 24 };
    await host.publish('underlay', report, true);
    await waitUntil(async () => (await getHost(h.client, hostId))?.underlaySeq === 100, 10_000, 'report 100');
    expect(await getHost(h.client, hostId)).toMatchObject({ underlayIp: '10.77.0.2', prefixLength: 24 });
    await waitUntil(() => host.received.some((m) => m.topic === hostTopic(hostId, 'membership')));
    const published = stats().membershipPublished;

    // An older report (reordered/delayed) changes nothing; a newer one with the same cluster republishes nothing.
    const stale = stats().underlayStale;
    await host.publish('underlay', { ...report, seq: 50, underlayIp: '10.77.0.3' }, true);
    await waitUntil(() => stats().underlayStale === stale + 1);
    const relayed = stats().underlayRelayed;
    await host.publish('underlay', { ...report, seq: 101 }, true);
    await waitUntil(() => stats().underlayRelayed === relayed + 1);
    expect(await getHost(h.client, hostId)).toMatchObject({ underlayIp: '10.77.0.2', underlaySeq: 101 });
    expect(stats().membershipPublished).toBe(published);

    // The membership is retained: a fresh connection of the host finds it.
    await host.close();
    const again = await startFakeHost(h.broker, hostId, { creds, subscribe: false });
    await again.client.unsubscribeAsync(hostTopic(hostId, 'membership'));
    await again.client.subscribeAsync(hostTopic(hostId, 'membership'), { qos: 1 });
    await waitUntil(() => again.received.some((m) => m.retain));
    expect(again.received.find((m) => m.retain)?.payload).toEqual({ cluster: null });
  });

  /** A signal sink standing in for the host's cluster, the membership announced to the host, and the
   * underlay changes the sink received. */
  async function directToSink(hostId: string) {
    const cluster = `direct-${hostId}`;
    const sink = await h.client.workflow.start('signalSinkWorkflow', {
      workflowId: clusterWorkflowId(cluster),
      taskQueue: h.taskQueue,
    });
    h.control.relay!.announceMembership(hostId, cluster);
    const host = await startFakeHost(h.broker, hostId);
    await waitUntil(() => host.received.some((m) => m.topic === hostTopic(hostId, 'membership')));
    const signals = async () => (await sinkSignals(sink)).flat();
    return { sink, host, signals };
  }

  it('reports of many hosts of one cluster at once (a site renumbered) reach it in a few batched signals, each host once', async () => {
    const hosts = Array.from({ length: 12 }, () => hid('batch'));
    const cluster = `batch-${hosts[0]}`;
    await Promise.all(hosts.map(register));
    const sink = await h.client.workflow.start('signalSinkWorkflow', {
      workflowId: clusterWorkflowId(cluster),
      taskQueue: h.taskQueue,
    });
    const fakes = await Promise.all(hosts.map((hostId) => startFakeHost(h.broker, hostId)));
    try {
      for (const hostId of hosts) h.control.relay!.announceMembership(hostId, cluster);
      await Promise.all(
        fakes.map((f, i) =>
          waitUntil(() => f.received.some((m) => m.topic === hostTopic(hosts[i]!, 'membership'))),
        ),
      );
      await Promise.all(
        fakes.map((f, i) =>
          f.publish('underlay', { seq: 40, underlayIp: `10.77.1.${i + 1}`, underlayIface: 'eth0' }, true),
        ),
      );
      const all = async () => (await sinkSignals(sink)).flat();
      await waitUntil(async () => (await all()).length >= hosts.length, 10_000, 'every host signalled');
      await sleep(300);
      const batches = await sinkSignals(sink);
      // one signal per host before; now what arrives while one is in flight goes out together
      expect(batches.length).toBeLessThanOrEqual(4);
      expect(batches.length).toBeGreaterThan(0);
      expect((await all()).map((c) => c.hostId).sort()).toEqual([...hosts].sort());
      expect((await all()).every((c) => c.seq === 40)).toBe(true);
    } finally {
      await Promise.all(fakes.map((f) => f.close()));
      await sink.terminate('test done');
    }
  });

  it('a report of a host in a cluster is also signalled straight to that cluster (seq kept)', async () => {
    const hostId = hid('direct');
    await register(hostId);
    const { sink, host, signals } = await directToSink(hostId);
    try {
      const before = stats().clusterSignals;
      await host.publish('underlay', { seq: 9, underlayIp: '10.77.0.21', underlayIface: 'eth0' }, true);
      await waitUntil(() => stats().clusterSignals === before + 1, 10_000, 'direct signal');
      expect(await signals()).toEqual([{ hostId, underlayIp: '10.77.0.21', seq: 9 }]);
    } finally {
      await sink.terminate('test done');
    }
  });

  it('the direct signal never waits behind the host workflow: a newer report is signalled while the update of the older one hangs', async () => {
    const hostId = hid('slowhost');
    // The host's workflow on a queue nobody polls: every update to it hangs (a control worker busy elsewhere).
    const stuck = await h.client.workflow.start(hostWorkflowType, {
      workflowId: hostWorkflowId(hostId),
      taskQueue: `nobody-polls-${hostId}`,
      args: [{ hostId }],
    });
    const { sink, host, signals } = await directToSink(hostId);
    try {
      const seqs = async () => (await signals()).map((s) => s.seq);
      const relayed = stats().underlayRelayed;
      await host.publish('underlay', { seq: 20, underlayIp: '10.77.0.31', underlayIface: 'eth0' }, true);
      await waitUntil(async () => (await seqs()).includes(20), 5_000, 'signal of seq 20');
      await host.publish('underlay', { seq: 21, underlayIp: '10.77.0.32', underlayIface: 'eth0' }, true);
      await waitUntil(async () => (await seqs()).includes(21), 5_000, 'signal of seq 21');
      // once per report, and the host workflow has taken neither yet
      expect(await seqs()).toEqual([20, 21]);
      expect(stats().underlayRelayed).toBe(relayed);
    } finally {
      await sink.terminate('test done');
      await stuck.terminate('test done');
    }
  });

  it('a report from a host without a host workflow is dropped with a warning; the relay keeps going', async () => {
    const ghost = await startFakeHost(h.broker, hid('ghost'));
    const before = stats().noHostWorkflow;
    await ghost.publish('underlay', { seq: 1, underlayIp: '10.77.0.9', underlayIface: 'eth0' });
    await waitUntil(() => stats().noHostWorkflow === before + 1);
    const hostId = hid('after');
    await register(hostId);
    const host = await startFakeHost(h.broker, hostId);
    await host.publish('underlay', { seq: 7, underlayIp: '10.77.0.10', underlayIface: 'eth0' });
    await waitUntil(async () => (await getHost(h.client, hostId))?.underlaySeq === 7);
  });

  it('status is relayed only on transitions: online 5 times is one signal', async () => {
    const hostId = hid('pres');
    await register(hostId);
    const host = await startFakeHost(h.broker, hostId);
    const online = { online: true, epoch: 1, agentVersion: 'test' };
    for (let i = 0; i < 5; i++) await host.publish('status', online, true);
    await waitUntil(async () => (await presenceSignals(h.client, hostId)) === 1);
    await sleep(500);
    expect(await presenceSignals(h.client, hostId)).toBe(1);
    expect(await getHost(h.client, hostId)).toMatchObject({ online: true });

    await host.publish('status', { online: false }, true);
    await waitUntil(async () => (await presenceSignals(h.client, hostId)) === 2);
    await waitUntil(async () => (await getHost(h.client, hostId))?.online === false);
    await host.publish('status', { online: false }, true);
    await host.publish('status', { ...online, epoch: 2 }, true); // back, after a reboot
    await host.publish('status', { ...online, epoch: 2 }, true);
    await waitUntil(async () => (await presenceSignals(h.client, hostId)) === 3);
    await sleep(500);
    expect(await presenceSignals(h.client, hostId)).toBe(3);
  });

  it('a restarted control worker relays the retained status it finds, and what came while it was away', async () => {
    const hostId = hid('restart');
    await register(hostId);
    const host = await startFakeHost(h.broker, hostId);
    await host.publish('status', { online: true, epoch: 5, agentVersion: 'test' }, true);
    await waitUntil(async () => (await presenceSignals(h.client, hostId)) === 1);
    await h.stopControl();
    await h.startControl();
    // The new process knows nothing: the retained status comes with its first SUBSCRIBE and is relayed
    // (the workflow sees no transition and records nothing but the signal).
    await waitUntil(async () => (await presenceSignals(h.client, hostId)) === 2, 10_000, 'retained status');
    expect(await getHost(h.client, hostId)).toMatchObject({ online: true });
    await h.stopControl();
    await host.publish('status', { online: false }, true); // while the control plane is away
    await h.startControl();
    await waitUntil(
      async () => (await getHost(h.client, hostId))?.online === false,
      10_000,
      'offline relayed',
    );
  });
});
