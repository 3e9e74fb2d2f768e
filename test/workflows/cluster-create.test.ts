// clusterWorkflow creation and the update validators, against the real dev server with fake hosts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorType } from '../../src/domain/errors.js';
import { getHost, registerHost } from '../../src/temporal/hosts.js';
import {
  addHostsUpdate,
  changeOverlayUpdate,
  removeHostUpdate,
} from '../../src/contract/workflow-messages.js';
import { clusterWorkflowId, hostJoinWorkflowId } from '../../src/domain/ids.js';
import { ClusterHarness, roles } from './support/cluster-harness.js';
import { recordHistory } from './support/record.js';

describe('clusterWorkflow creation', () => {
  let h: ClusterHarness;
  beforeEach(async () => {
    h = await ClusterHarness.create();
  });
  afterEach(async () => h.close());

  it('creates a cluster with 5 hosts: stable overlay IPs, full peer tables, VIP on a control plane', async () => {
    const hosts = await h.addHosts(5);
    const t0 = Date.now();
    const { name } = await h.startCluster(roles(hosts, 3));
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    const createMs = Date.now() - t0;
    console.log(JSON.stringify({ metric: 'create-5-hosts-ms', value: createMs }));
    // The election may first seat another control plane: one that had the newest policy while h1 did not
    // yet counts for it. h1 outranks it once its table arrives, so the settled holder is h1 (CI saw h2 at Ready).
    const view = await h.waitForView(
      name,
      'VIP on h1',
      (v) => v.phase === 'Ready' && v.vipHolder === hosts[0]!.hostId,
    );

    expect(view.vip).toBe('100.64.192.1');
    expect(view.hosts.map((x) => x.overlayIp)).toEqual([
      '100.64.192.2',
      '100.64.192.3',
      '100.64.192.4',
      '100.64.192.5',
      '100.64.192.6',
    ]);
    expect(view.hosts.every((x) => x.state === 'Joined')).toBe(true);
    expect(view.vipHolder).toBe(hosts[0]!.hostId);
    expect(h.host(view.vipHolder!).hasVip).toBe(true);
    expect(view.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    for (const fake of hosts) {
      const mine = view.hosts.find((x) => x.hostId === fake.hostId)!;
      expect(fake.overlay?.overlayIp).toBe(mine.overlayIp);
      expect(fake.peers.map((p) => p.underlayIp).sort()).toEqual(
        hosts
          .filter((o) => o !== fake)
          .map((o) => o.underlayIp)
          .sort(),
      );
      expect((await getHost(h.client, fake.hostId))?.cluster).toBe(name);
    }
    const events = await h.events(name);
    expect(events.filter((e) => e.type === 'HostJoined')).toHaveLength(5);
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));

    const desc = await h.handle(name).describe();
    expect(desc.searchAttributes).toMatchObject({
      ClusterPhase: ['Ready'],
      HostCount: [5],
      ClusterName: [name],
    });
    expect(desc.memo).toMatchObject({ phase: 'Ready', hostCount: 5, vip: '100.64.192.1' });
    await recordHistory(h.client, 'cluster', 'create-5-hosts', clusterWorkflowId(name));
    await recordHistory(h.client, 'host-join', 'success', hostJoinWorkflowId(name, hosts[4]!.hostId));
  });

  it('rejects immutable overlay changes, duplicate and unknown hosts with typed failures', async () => {
    const hosts = await h.addHosts(2);
    const { name, handle } = await h.startCluster(roles(hosts));
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');

    await expect(
      handle.executeUpdate(changeOverlayUpdate, { args: [{ overlayCidr: '100.64.0.0/24' }] }),
    ).rejects.toMatchObject({
      cause: { type: ErrorType.OverlayImmutable },
    });
    await expect(handle.executeUpdate(changeOverlayUpdate, { args: [{ vni: 7 }] })).rejects.toMatchObject({
      cause: { type: ErrorType.OverlayImmutable },
    });
    const same = await handle.executeUpdate(changeOverlayUpdate, {
      args: [{ overlayCidr: '100.64.192.0/24', vni: 100 }],
    });
    expect(same.overlayCidr).toBe('100.64.192.0/24');

    await expect(
      handle.executeUpdate(addHostsUpdate, {
        args: [{ hosts: [{ hostId: hosts[0]!.hostId, role: 'worker' }] }],
      }),
    ).rejects.toMatchObject({ cause: { type: ErrorType.HostAlreadyInCluster } });
    await expect(
      handle.executeUpdate(addHostsUpdate, {
        args: [{ hosts: [{ hostId: 'never-registered-x1', role: 'worker' }] }],
      }),
    ).rejects.toMatchObject({ cause: { type: ErrorType.HostNotRegistered } });
    await expect(
      handle.executeUpdate(addHostsUpdate, { args: [{ hosts: [{ hostId: 'Bad Id', role: 'worker' }] }] }),
    ).rejects.toMatchObject({ cause: { type: ErrorType.InvalidInput } });
    await expect(
      handle.executeUpdate(removeHostUpdate, { args: [{ hostId: 'not-a-member' }] }),
    ).rejects.toMatchObject({
      cause: { type: ErrorType.HostNotInCluster },
    });

    // A host that belongs to this cluster cannot join a second one: admission is all or nothing, the
    // second cluster is not created (its run ends) and never touches the host.
    const other = await h.startCluster([{ hostId: hosts[1]!.hostId, role: 'worker' }]);
    await other.handle.result();
    const otherEvents = await h.events(other.name);
    expect(otherEvents.find((e) => e.type === 'ClusterRejected')).toMatchObject({
      hostId: hosts[1]!.hostId,
      data: { refused: { [hosts[1]!.hostId]: expect.stringContaining(ErrorType.HostAlreadyInCluster) } },
    });
    expect(otherEvents.some((e) => e.type === 'HostJoined' || e.type === 'HostJoinFailed')).toBe(false);
    expect(hosts[1]!.count('teardown')).toBe(0);
    expect(hosts[1]!.overlay).not.toBeNull();
    expect((await getHost(h.client, hosts[1]!.hostId))?.cluster).toBe(name);
  });

  it('refuses a create with a host whose underlay address lies inside the overlay CIDR: nothing claimed', async () => {
    const hosts = await h.addHosts(2);
    hosts[1]!.underlayIp = '100.64.192.77';
    await registerHost(
      h.client,
      { hostId: hosts[1]!.hostId, underlayIp: '100.64.192.77' },
      { taskQueue: h.taskQueue },
    );
    // Since 'admission-underlay-check' the admission refuses the whole create (the API answers 400 before
    // that); before it, only the overlapping host's join failed.
    const { name, handle } = await h.startCluster(roles(hosts, 1));
    await handle.result();
    const events = await h.events(name);
    const rejected = events.find((e) => e.type === 'ClusterRejected');
    expect(JSON.stringify(rejected?.data)).toContain(hosts[1]!.hostId);
    expect(events.some((e) => e.type === 'HostJoined' || e.type === 'HostJoinFailed')).toBe(false);
    for (const f of hosts) expect(f.count('applyOverlay')).toBe(0);
  });
});
