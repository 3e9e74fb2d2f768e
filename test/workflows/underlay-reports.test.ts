// v2 underlay reports (issue 12, point 4): the agent's reports carry a per-host sequence; the host workflow
// applies one only when it is newer, so reordered, duplicated and delayed reports change nothing, and the
// cluster records exactly one UnderlayChanged per applied change, with the sequence carried into peer tables.
// Reports are sent as the control worker's relay sends them: the host workflow's update, then the cluster
// told from the record it returns (since 'relay-tells-cluster' the host workflow does not tell it).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterWorkflowId, hostWorkflowId } from '../../src/domain/ids.js';
import { patchIds } from '../replay/support/history-json.js';
import { signalUnderlayChanges } from '../../src/control/cluster-underlay.js';
import { issueJoinToken } from '../../src/temporal/host-identity.js';
import { getHost, reportPresence, reportUnderlay } from '../../src/temporal/hosts.js';
import { ClusterHarness, roles } from './support/cluster-harness.js';
import { recordHistory } from './support/record.js';
import { tellClusterAsRelay } from './support/relay-tells-cluster.js';

describe('underlay reports with sequences', () => {
  let h: ClusterHarness;
  beforeEach(async () => {
    h = await ClusterHarness.create();
  });
  afterEach(async () => h.close());

  it('applies only newer reports: reordered, duplicated and delayed ones change nothing', async () => {
    const hosts = await h.addHosts(3);
    const { name } = await h.startCluster(roles(hosts, 1), { reconcileDebounceMs: 100 });
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    const target = hosts[2]!;
    const base = target.underlaySeq;
    const send = async (seq: number, underlayIp: string) =>
      tellClusterAsRelay(
        h.client,
        await reportUnderlay(
          h.client,
          { hostId: target.hostId, seq: base + seq, underlayIp, underlayIface: 'eth0' },
          { taskQueue: h.taskQueue },
        ),
      );
    // Delivered out of order: 3 (newest) first, then the delayed 1 and 2, then 3 again (a duplicate).
    await send(3, '10.213.77.3');
    await send(1, '10.213.77.1');
    await send(2, '10.213.77.2');
    await send(3, '10.213.77.99'); // same sequence, other content: still not newer
    const record = await getHost(h.client, target.hostId);
    expect(record).toMatchObject({ underlayIp: '10.213.77.3', underlaySeq: base + 3 });

    const view = await h.waitForView(
      name,
      'reconciled',
      (v) => v.phase === 'Ready' && v.hosts[2]?.underlayIp === '10.213.77.3',
    );
    expect(view.hosts[2]?.underlayIp).toBe('10.213.77.3');
    await new Promise((r) => setTimeout(r, 800)); // a late wrong change would show up by now
    const changes = (await h.events(name)).filter((e) => e.type === 'UnderlayChanged');
    expect(changes.map((e) => e.data.to)).toEqual(['10.213.77.3']);
    // The peers hold the address with the sequence it came from (agents order tables against beacons).
    for (const peer of hosts.slice(0, 2)) {
      expect(peer.peers.find((p) => p.hostId === target.hostId)).toMatchObject({
        underlayIp: '10.213.77.3',
        seq: base + 3,
      });
    }
    // A newer report moves it again.
    await send(4, '10.213.77.4');
    await h.waitForView(name, 'moved again', (v) => v.hosts[2]?.underlayIp === '10.213.77.4');
    await recordHistory(h.client, 'cluster', 'reordered-reports', clusterWorkflowId(name));
  });

  it('an agent online before its first report shows online once the report made its record', async () => {
    // Enrolled hosts have a host workflow (made by the join token) but no record until their first report;
    // the agent says it is online on connect, just before that report.
    const hostId = `fresh-${Date.now().toString(36)}`;
    const tokenHash = 'A'.repeat(43);
    await issueJoinToken(h.client, { hostId, tokenHash, ttlSeconds: 60 }, { taskQueue: h.taskQueue });
    expect(await reportPresence(h.client, { hostId, online: true, at: new Date().toISOString() })).toBe(true);
    const input = { hostId, seq: 1, underlayIp: '10.213.66.1', underlayIface: 'eth0' };
    const record = await reportUnderlay(h.client, input, { taskQueue: h.taskQueue });
    expect(record.online).toBe(true);
    expect((await getHost(h.client, hostId))?.online).toBe(true);
  });

  it('a new address reaches the cluster in ONE signal: the relay tells it, the host workflow no longer does', async () => {
    const hosts = await h.addHosts(2);
    const { name } = await h.startCluster(roles(hosts, 1), { reconcileDebounceMs: 100 });
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    const mover = hosts[1]!;
    await h.renumber([mover], 93);
    await h.waitForView(name, 'moved', (v) => v.hosts[1]?.underlayIp === mover.underlayIp);
    await new Promise((r) => setTimeout(r, 500)); // a late second signal would show up by now
    const hostHistory = await h.client.workflow.getHandle(hostWorkflowId(mover.hostId)).fetchHistory();
    await recordHistory(h.client, 'host', 'underlay-renumber', hostWorkflowId(mover.hostId));
    const toCluster = (hostHistory.events ?? []).filter(
      (e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'underlayChanged',
    );
    expect(toCluster).toEqual([]);
    expect(patchIds(hostHistory as Parameters<typeof patchIds>[0])).toContain('relay-tells-cluster');
    const clusterHistory = await h.client.workflow.getHandle(clusterWorkflowId(name)).fetchHistory();
    const heard = (clusterHistory.events ?? []).filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'underlayChanged',
    );
    expect(heard).toHaveLength(1);
  });

  it("the relay's batch (underlayChanges) applies each host's change as its own signal would, newest seq only", async () => {
    const hosts = await h.addHosts(3);
    const { name } = await h.startCluster(roles(hosts, 1), { reconcileDebounceMs: 100 });
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    const movers = hosts.slice(1);
    const records = await Promise.all(
      movers.map((f, i) => {
        f.underlaySeq += 1;
        f.underlayIp = `10.213.94.${100 + i}`;
        const report = {
          hostId: f.hostId,
          seq: f.underlaySeq,
          underlayIp: f.underlayIp,
          underlayIface: 'eth0',
        };
        return reportUnderlay(h.client, report, { taskQueue: h.taskQueue });
      }),
    );
    const changes = records.map((r) => ({ hostId: r.hostId, underlayIp: r.underlayIp, seq: r.underlaySeq! }));
    // one batch with both, and a stale entry (an older seq of the first mover) that must change nothing
    const stale = { ...changes[0]!, underlayIp: '10.213.94.250', seq: changes[0]!.seq - 1 };
    await signalUnderlayChanges(h.client, name, [...changes, stale]);
    const view = await h.waitForView(name, 'both moved', (v) =>
      movers.every((f) => v.hosts.find((x) => x.hostId === f.hostId)?.underlayIp === f.underlayIp),
    );
    expect(view.hosts.map((x) => x.underlayIp)).not.toContain('10.213.94.250');
    const events = await h.waitFor(
      'UnderlayChanged for both and OverlayReconciled after',
      async () => h.events(name),
      (es) => {
        const changed = es.filter((e) => e.type === 'UnderlayChanged' && e.hostId !== hosts[0]!.hostId);
        const last = Math.max(...changed.map((e) => e.seq));
        return changed.length === 2 && es.some((e) => e.type === 'OverlayReconciled' && e.seq > last);
      },
    );
    expect(events.filter((e) => e.type === 'UnderlayChanged').map((e) => e.data['to'])).toEqual(
      expect.arrayContaining(movers.map((f) => f.underlayIp)),
    );
    await h.waitForView(name, 'Ready again', (v) => v.phase === 'Ready');
    await recordHistory(h.client, 'cluster', 'underlay-batch', clusterWorkflowId(name));
  });

  it('every peer table carries a version; a host keeps the newest one', async () => {
    const hosts = await h.addHosts(3);
    const { name } = await h.startCluster(roles(hosts, 1), { reconcileDebounceMs: 100 });
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    const first = hosts.map((f) => f.peersVersion);
    for (const v of first) expect(v).toBeGreaterThan(0);
    await h.renumber([hosts[1]!], 91);
    await h.waitFor(
      'new tables',
      async () => [hosts[0]!.peersVersion, hosts[2]!.peersVersion],
      ([a, c]) => a! > first[0]! && c! > first[2]!,
    );
  });
});
