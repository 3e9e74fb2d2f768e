// hostWorkflow + src/temporal/hosts.ts against the real dev server.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlActivities } from '../../src/activities/control/index.js';
import { ErrorType } from '../../src/domain/errors.js';
import { clusterWorkflowId, hostWorkflowId } from '../../src/domain/ids.js';
import { getHost, listHosts, registerHost, reportHeartbeat } from '../../src/temporal/hosts.js';
import { claimHostUpdate, setHostClusterSignal } from '../../src/contract/workflow-messages.js';
import { probeSeenQuery } from '../fixtures/host-registry-workflows.js';
import { runningWorker, testClient, testWorker, uniqueTaskQueue } from '../helpers/temporal.js';
import { recordHistory } from './support/record.js';

const hid = (name: string) => `${name}-${randomUUID().slice(0, 6)}`;

describe('hostWorkflow registry', () => {
  let tc: Awaited<ReturnType<typeof testClient>>;
  let controlWorker: { stop: () => Promise<void> };
  const taskQueue = uniqueTaskQueue('hosts');
  /** What the host workflows told their agents (through the control worker's relay in production). */
  const announced: Array<[string, string | null]> = [];

  beforeAll(async () => {
    tc = await testClient();
    controlWorker = await runningWorker({
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../fixtures/host-registry-workflows.ts', import.meta.url)),
      activities: createControlActivities({
        client: tc.client,
        onMembership: (hostId, cluster) => announced.push([hostId, cluster]),
      }),
    });
  });
  afterAll(async () => {
    await controlWorker.stop();
    await tc.close();
  });

  const until = async <T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (ok(v) || Date.now() > end) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('registers idempotently with update-with-start and answers queries', async () => {
    const hostId = hid('reg');
    const input = { hostId, underlayIp: '10.213.0.11', underlayIface: 'eth0', labels: { zone: 'a' } };
    const first = await registerHost(tc.client, input, { taskQueue });
    const second = await registerHost(tc.client, input, { taskQueue });
    expect(first).toMatchObject({ hostId, underlayIp: '10.213.0.11', underlayIface: 'eth0', cluster: null });
    expect(second.labels).toEqual({ zone: 'a' });
    expect(Date.parse(second.lastSeen)).toBeGreaterThanOrEqual(Date.parse(first.lastSeen));
    const runs = [];
    for await (const wf of tc.client.workflow.list({ query: `WorkflowId = '${hostWorkflowId(hostId)}'` })) {
      runs.push(wf);
    }
    expect(runs.length).toBeLessThanOrEqual(1);
    expect(await getHost(tc.client, hostId)).toMatchObject({ hostId, underlayIp: '10.213.0.11' });
    const listed = await until(
      () => listHosts(tc.client),
      (l) => l.some((h) => h.hostId === hostId),
    );
    expect(listed.find((h) => h.hostId === hostId)?.underlayIp).toBe('10.213.0.11');
  });

  it('rejects invalid registrations with InvalidInput and unknown hosts with HostNotRegistered', async () => {
    await expect(
      registerHost(tc.client, { hostId: 'Bad_Id', underlayIp: '10.0.0.1' }, { taskQueue }),
    ).rejects.toMatchObject({
      type: ErrorType.InvalidInput,
    });
    await expect(
      registerHost(tc.client, { hostId: hid('x'), underlayIp: '10.0.0.300' }, { taskQueue }),
    ).rejects.toBeInstanceOf(ApplicationFailure);
    const ghost = hid('ghost');
    expect(await getHost(tc.client, ghost)).toBeNull();
    await expect(reportHeartbeat(tc.client, ghost)).rejects.toMatchObject({
      type: ErrorType.HostNotRegistered,
    });
  });

  it('tells its cluster about heartbeats and underlay changes; claims are exclusive', async () => {
    const hostId = hid('mem');
    const cluster = hid('c');
    await tc.client.workflow.start('clusterProbeWorkflow', {
      taskQueue,
      workflowId: clusterWorkflowId(cluster),
    });
    await registerHost(tc.client, { hostId, underlayIp: '10.213.0.21' }, { taskQueue });
    const handle = tc.client.workflow.getHandle(hostWorkflowId(hostId));
    const claimed = await handle.executeUpdate(claimHostUpdate, { args: [{ cluster }] });
    expect(claimed.cluster).toBe(cluster);
    await expect(
      handle.executeUpdate(claimHostUpdate, { args: [{ cluster: 'other' }] }),
    ).rejects.toMatchObject({
      cause: { type: ErrorType.HostAlreadyInCluster },
    });

    await reportHeartbeat(tc.client, hostId);
    await registerHost(tc.client, { hostId, underlayIp: '10.213.0.99' }, { taskQueue }); // DHCP renumber
    await reportHeartbeat(tc.client, hostId, '10.213.0.77'); // renumber seen by the agent's watcher
    const probe = tc.client.workflow.getHandle(clusterWorkflowId(cluster));
    const seen = await until(
      () => probe.query(probeSeenQuery),
      (s) => s.underlay.length >= 2 && s.heartbeats.length >= 2,
    );
    expect(seen.underlay).toEqual([
      { hostId, underlayIp: '10.213.0.99' },
      { hostId, underlayIp: '10.213.0.77' },
    ]);
    expect(seen.heartbeats[0]).toEqual({ hostId, underlayIp: '10.213.0.21' });
    expect((await getHost(tc.client, hostId))?.underlayIp).toBe('10.213.0.77');

    // Release by another cluster is ignored; release by the owner frees the host.
    await handle.signal(setHostClusterSignal, { cluster: null, from: 'other' });
    expect((await getHost(tc.client, hostId))?.cluster).toBe(cluster);
    await handle.signal(setHostClusterSignal, { cluster: null, from: cluster });
    expect((await getHost(tc.client, hostId))?.cluster).toBeNull();
    // The agent learns both changes (claim, release) at once, the refused claim and the ignored release not.
    await until(
      async () => announced.filter(([h]) => h === hostId),
      (a) => a.length >= 2,
    );
    expect(announced.filter(([h]) => h === hostId)).toEqual([
      [hostId, cluster],
      [hostId, null],
    ]);
    await probe.terminate();
    await recordHistory(tc.client, 'host', 'register-heartbeat-renumber', hostWorkflowId(hostId));
  });

  it('does not signal anyone when the host is in no cluster', async () => {
    const hostId = hid('solo');
    await registerHost(tc.client, { hostId, underlayIp: '10.213.0.31' }, { taskQueue });
    await registerHost(tc.client, { hostId, underlayIp: '10.213.0.32' }, { taskQueue });
    const history = await tc.client.workflow.getHandle(hostWorkflowId(hostId)).fetchHistory();
    const types = history.events?.map((e) => String(e.eventType)) ?? [];
    expect(types.some((t) => t.includes('SIGNAL_EXTERNAL'))).toBe(false);
    expect((await getHost(tc.client, hostId))?.underlayIp).toBe('10.213.0.32');
  });

  it('continues as new with its record when history grows', async () => {
    const hostId = hid('can');
    const workflowId = hostWorkflowId(hostId);
    const started = await tc.client.workflow.start('hostWorkflow', {
      taskQueue,
      workflowId,
      args: [{ hostId, continueAsNewAfterEvents: 20 }],
    });
    await registerHost(tc.client, { hostId, underlayIp: '10.213.0.41', labels: { k: 'v' } }, { taskQueue });
    for (let i = 0; i < 10; i++) await reportHeartbeat(tc.client, hostId);
    const desc = await until(
      () => tc.client.workflow.getHandle(workflowId).describe(),
      (d) => d.runId !== started.firstExecutionRunId,
    );
    expect(desc.runId).not.toBe(started.firstExecutionRunId);
    const rec = await getHost(tc.client, hostId);
    expect(rec).toMatchObject({ hostId, underlayIp: '10.213.0.41', labels: { k: 'v' } });
  });

  it('lists a host from its memo when no worker can answer the query', async () => {
    const otherQueue = uniqueTaskQueue('hosts-gone');
    const gone = await testWorker({
      taskQueue: otherQueue,
      workflowsPath: fileURLToPath(new URL('../fixtures/host-registry-workflows.ts', import.meta.url)),
      activities: {},
    });
    const hostId = hid('orphan');
    await gone.worker.runUntil(
      registerHost(tc.client, { hostId, underlayIp: '10.213.0.51' }, { taskQueue: otherQueue }),
    );
    await gone.close();
    const t0 = Date.now();
    const listed = await until(
      () => listHosts(tc.client, { queryTimeoutMs: 500 }),
      (l) => l.some((x) => x.hostId === hostId),
    );
    expect(listed.find((x) => x.hostId === hostId)).toMatchObject({
      underlayIp: '10.213.0.51',
      cluster: null,
    });
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
