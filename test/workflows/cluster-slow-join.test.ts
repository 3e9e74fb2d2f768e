// One host whose join hangs must not hold up the rest of the cluster: reconciliation of another host's
// renumbering, removal of the VIP holder and the VIP move all complete while the slow host is still Joining.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import type { DomainEvent } from '../../src/domain/types.js';
import { reportHeartbeat } from '../../src/temporal/hosts.js';
import { addHostsUpdate, removeHostUpdate } from '../../src/contract/workflow-messages.js';
import { ClusterHarness, roles } from './support/cluster-harness.js';
import type { FakeHost } from './support/fake-host.js';
import { recordHistory } from './support/record.js';

const eventsAfter = (events: DomainEvent[], seq: number, type: DomainEvent['type']) =>
  events.filter((e) => e.seq > seq && e.type === type);

const peerKeys = (f: FakeHost) => f.peers.map((p) => `${p.hostId}=${p.underlayIp}`).sort();
const othersOf = (f: FakeHost, hosts: FakeHost[]) =>
  hosts
    .filter((o) => o !== f)
    .map((o) => `${o.hostId}=${o.underlayIp}`)
    .sort();

describe('a slow join', () => {
  let h: ClusterHarness;
  let release: () => void = () => {};
  beforeEach(async () => {
    h = await ClusterHarness.create();
  });
  afterEach(async () => {
    release(); // never leave a fake activity hanging into worker shutdown
    await h.close();
  });

  it('never delays reconciliation, removal or the VIP move of the other hosts', async () => {
    const hosts = await h.addHosts(3);
    const [holder, standby, worker] = hosts as [FakeHost, FakeHost, FakeHost];
    // The budget is far beyond every wait below: the slow join cannot fail its way out of the test.
    const { name, handle } = await h.startCluster(roles(hosts, 2), {
      hostActivityTimeoutMs: 120_000,
      reconcileDebounceMs: 100,
    });
    // Settled on the first-ranked control plane (the standby can hold it until the holder has the newest policy).
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready' && v.vipHolder === holder.hostId);

    const gate = new Promise<void>((r) => {
      release = r;
    });
    const [slow] = (await h.addHosts(1, 's', () => ({ preflightGate: gate }))) as [FakeHost];
    await handle.executeUpdate(addHostsUpdate, {
      args: [{ hosts: [{ hostId: slow.hostId, role: 'worker' }] }],
    });
    await h.waitFor(
      'slow preflight called',
      async () => slow.count('preflight'),
      (n) => n > 0,
    );
    const mark = Math.max(...(await h.events(name)).map((e) => e.seq));

    // Another, already joined host is renumbered: its new address reaches the others now.
    await h.renumber([worker], 61);
    const reconciled = await h.waitFor(
      'reconciled while the slow host joins',
      async () => ({ events: await h.events(name), view: await h.view(name) }),
      ({ events }) => eventsAfter(events, mark, 'OverlayReconciled').length > 0,
      15_000,
    );
    expect(reconciled.view.hosts.find((x) => x.hostId === slow.hostId)?.state).toBe('Joining');
    expect(eventsAfter(reconciled.events, mark, 'OverlayReconciled')[0]?.data).toMatchObject({
      trigger: 'UnderlayChanged',
      changedHosts: [worker.hostId],
    });
    expect(reconciled.view.hosts.find((x) => x.hostId === worker.hostId)?.underlayIp).toBe(worker.underlayIp);
    for (const f of [holder, standby])
      expect(f.peers).toContainEqual(
        expect.objectContaining({
          hostId: worker.hostId,
          underlayIp: worker.underlayIp,
        }),
      );

    // Removing the VIP holder completes too, and the VIP moves, with the slow join still in flight.
    await handle.executeUpdate(removeHostUpdate, { args: [{ hostId: holder.hostId }] });
    const removed = await h.waitForView(
      name,
      'holder removed while the slow host joins',
      (v) => !v.hosts.some((x) => x.hostId === holder.hostId) && v.vipHolder === standby.hostId,
      15_000,
    );
    expect(removed.hosts.find((x) => x.hostId === slow.hostId)?.state).toBe('Joining');
    expect(holder.count('teardown')).toBe(1);
    expect(standby.hasVip).toBe(true);
    expect(slow.count('applyOverlay')).toBe(0);

    // Let the slow host finish: it joins with the current table, and every table converges.
    release();
    const members = [standby, worker, slow];
    // Since 'phase-settled' the cluster is Ready while a host joins it: wait for the host, not the phase.
    const ready = await h.waitForView(
      name,
      'slow host joined',
      (v) => v.phase === 'Ready' && v.hosts.find((x) => x.hostId === slow.hostId)?.state === 'Joined',
      15_000,
    );
    expect(ready.hosts.map((x) => [x.hostId, x.state])).toEqual(
      members.map((f) => [f.hostId, 'Joined']).sort(([a], [b]) => a!.localeCompare(b!)),
    );
    await h.waitFor(
      'peer tables converge',
      async () => members.map(peerKeys),
      (tables) =>
        tables.every((t, i) => JSON.stringify(t) === JSON.stringify(othersOf(members[i]!, members))),
      10_000,
    );
    const events = await h.events(name);
    const order = events.filter((e) => e.seq > mark).map((e) => `${e.type}:${e.hostId ?? ''}`);
    expect(order.indexOf(`HostJoined:${slow.hostId}`)).toBeGreaterThan(
      order.indexOf(`HostRemoved:${holder.hostId}`),
    );
    expect(eventsAfter(events, mark, 'HostJoinFailed')).toEqual([]);
    await recordHistory(h.client, 'cluster', 'slow-join', clusterWorkflowId(name));
  });

  /** Starts a cluster of `n` Ready hosts, then adds one host whose preflight waits for `release()`. */
  async function withSlowJoin(n: number, options: Parameters<ClusterHarness['startCluster']>[1] = {}) {
    const hosts = await h.addHosts(n);
    const started = await h.startCluster(roles(hosts, 1), { hostActivityTimeoutMs: 120_000, ...options });
    await h.waitForView(started.name, 'Ready', (v) => v.phase === 'Ready');
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const [slow] = (await h.addHosts(1, 's', () => ({ preflightGate: gate }))) as [FakeHost];
    await started.handle.executeUpdate(addHostsUpdate, {
      args: [{ hosts: [{ hostId: slow.hostId, role: 'worker' }] }],
    });
    await h.waitFor(
      'slow preflight called',
      async () => slow.count('preflight'),
      (c) => c > 0,
    );
    return { ...started, hosts, slow };
  }

  it('removing the joining host itself waits for its join, then tears it down', async () => {
    const { name, handle, hosts, slow } = await withSlowJoin(2);
    const accepted = await handle.executeUpdate(removeHostUpdate, { args: [{ hostId: slow.hostId }] });
    expect(accepted.hosts.find((x) => x.hostId === slow.hostId)?.state).toBe('Removing');
    // The others drop it from their tables at once; the teardown waits, since the join could still program it.
    await h.waitFor(
      'slow host left the peer tables',
      async () => hosts.map((f) => f.peers.some((p) => p.hostId === slow.hostId)),
      (has) => has.every((x) => !x),
      15_000,
    );
    expect(slow.count('teardown')).toBe(0);
    expect((await h.events(name)).some((e) => e.type === 'HostRemoved')).toBe(false);

    release();
    const view = await h.waitForView(name, 'slow host removed', (v) => v.hosts.length === 2, 15_000);
    expect(view.phase).toBe('Ready');
    expect(slow.calls.lastIndexOf('teardown')).toBeGreaterThan(slow.calls.lastIndexOf('applyOverlay'));
    expect(slow.overlay).toBeNull();
    const events = (await h.events(name)).filter((e) => e.hostId === slow.hostId);
    expect(events.map((e) => e.type)).toEqual(['HostRemoved']);
    await recordHistory(h.client, 'cluster', 'slow-join-removed', clusterWorkflowId(name));
  });

  it('continue-as-new waits for an in-flight join, and the loop keeps working meanwhile', async () => {
    const { name, handle, hosts, slow } = await withSlowJoin(2, {
      continueAsNewAfterEvents: 80,
      reconcileDebounceMs: 100,
    });
    const firstRun = (await handle.describe()).runId;
    // Beats only from hosts[0]: a forwarded beat carries the sender's address, and one still in flight from
    // the host renumbered below could land after its underlayChanged signal and revert the pending change.
    for (let i = 0; i < 30; i++) await reportHeartbeat(h.client, hosts[0]!.hostId);
    await h.waitFor(
      'history past the threshold',
      async () => (await handle.describe()).historyLength,
      (n) => n >= 80,
    );
    const mark = Math.max(...(await h.events(name)).map((e) => e.seq));
    await h.renumber([hosts[1]!], 62);
    await h.waitFor(
      'reconciled in the first run',
      () => h.events(name),
      (ev) => eventsAfter(ev, mark, 'OverlayReconciled').length > 0,
      15_000,
    );
    expect((await handle.describe()).runId).toBe(firstRun);
    expect((await h.view(name)).hosts.find((x) => x.hostId === slow.hostId)?.state).toBe('Joining');

    release();
    await h.waitFor(
      'new run',
      async () => (await handle.describe()).runId,
      (id) => id !== firstRun,
      15_000,
    );
    const view = await h.waitForView(name, 'Ready after CAN', (v) => v.phase === 'Ready');
    expect(view.hosts.map((x) => x.state)).toEqual(['Joined', 'Joined', 'Joined']);
    const events = await h.events(name);
    expect(eventsAfter(events, mark, 'HostJoined').map((e) => e.hostId)).toEqual([slow.hostId]);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, j) => seqs[0]! + j));
    await recordHistory(h.client, 'cluster', 'slow-join-continue-as-new', clusterWorkflowId(name), firstRun);
  });
});
