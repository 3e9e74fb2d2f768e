// Joins that fail, host removal and cluster deletion, against the real dev server with fake hosts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorType } from '../../src/domain/errors.js';
import { clusterWorkflowId, hostJoinWorkflowId } from '../../src/domain/ids.js';
import type { ClusterView } from '../../src/domain/types.js';
import { getHost } from '../../src/temporal/hosts.js';
import {
  addHostsUpdate,
  deleteClusterUpdate,
  removeHostUpdate,
} from '../../src/contract/workflow-messages.js';
import { ClusterHarness, roles } from './support/cluster-harness.js';
import { recordHistory } from './support/record.js';

describe('cluster membership', () => {
  let h: ClusterHarness;
  beforeEach(async () => {
    h = await ClusterHarness.create();
  });
  afterEach(async () => h.close());

  it('a failing host and an absent host never block the others', async () => {
    const hosts = await h.addHosts(5, 'h', (i) => (i === 1 ? { failPreflight: true } : {}));
    const absent = hosts[3]!;
    absent.hang(); // registered, but its agent never answers
    const { name } = await h.startCluster(roles(hosts, 2), { hostActivityTimeoutMs: 4_000 });

    // The healthy hosts are Joined while the absent one is still Joining.
    const early = await h.waitForView(name, 'healthy hosts joined', (v) =>
      [0, 2, 4].every((i) => v.hosts[i]?.state === 'Joined'),
    );
    expect(early.hosts[3]?.state).toBe('Joining');
    expect(early.phase).toBe('Provisioning');

    // Settled: the push that drops the absent host's entries keeps the phase Provisioning until it is done
    // (ready-after-table-pushes), then the failures show as Degraded.
    const view = await h.waitForView(
      name,
      'settled',
      // The holder settles on h1, the first-ranked control plane (another may hold it until h1 has the newest policy).
      (v) => v.hosts[3]?.state === 'Failed' && v.vipHolder === hosts[0]!.hostId && v.phase !== 'Provisioning',
      20_000,
    );
    expect(view.hosts.map((x) => x.state)).toEqual(['Joined', 'Failed', 'Joined', 'Failed', 'Joined']);
    expect(view.phase).toBe('Degraded');
    expect(view.vipHolder).toBe(hosts[0]!.hostId);
    const joined = view.conditions.find((c) => c.type === 'HostsJoined');
    expect(joined).toMatchObject({ status: 'False', reason: 'HostJoinFailed' });
    expect(joined?.message).toContain(hosts[1]!.hostId);

    const failures = (await h.events(name)).filter((e) => e.type === 'HostJoinFailed');
    expect(failures.map((e) => [e.hostId, e.data.errorType])).toEqual([
      [hosts[1]!.hostId, ErrorType.PreflightFailed],
      [absent.hostId, expect.stringMatching(/^Timeout:/)], // schedule-to-close budget ran out unstarted
    ]);
    // Joined hosts peer only with joined hosts; the failing host got no overlay. Joins settle in the
    // background, so the push that drops the absent host's entries may land just after its failure shows.
    const healthy = [0, 2, 4];
    const tables = () =>
      healthy.map((i) =>
        h
          .host(hosts[i]!.hostId)
          .peers.map((p) => p.hostId)
          .sort(),
      );
    const wanted = healthy.map((i) =>
      healthy
        .filter((j) => j !== i)
        .map((j) => hosts[j]!.hostId)
        .sort(),
    );
    await h.waitFor(
      'peer tables of joined hosts',
      async () => tables(),
      (t) => t.every((table, k) => JSON.stringify(table) === JSON.stringify(wanted[k])),
    );
    expect(tables()).toEqual(wanted);
    expect(hosts[1]!.overlay).toBeNull();
    expect(hosts[1]!.count('preflight')).toBe(1); // non-retryable: no retries

    // Retrying a failed host by adding it again keeps its overlay IP.
    hosts[1]!.behaviour.failPreflight = false;
    const before = view.hosts[1]!.overlayIp;
    await h.handle(name).executeUpdate(addHostsUpdate, {
      args: [{ hosts: [{ hostId: hosts[1]!.hostId, role: 'control-plane' }] }],
    });
    const retried = await h.waitForView(name, 'retry joined', (v) => v.hosts[1]?.state === 'Joined');
    expect(retried.hosts[1]?.overlayIp).toBe(before);
    await recordHistory(h.client, 'cluster', 'failing-host', clusterWorkflowId(name));
    await recordHistory(
      h.client,
      'host-join',
      'absent-host-timeout',
      hostJoinWorkflowId(name, absent.hostId),
    );
  });

  it('removes a host (the VIP holder): teardown, VIP moves, peers shrink, its IP comes back on re-add', async () => {
    const hosts = await h.addHosts(4);
    const { name, handle } = await h.startCluster(roles(hosts, 2));
    const [holder, second] = hosts;
    // Settled on h1 (the second control plane can hold the VIP until h1 has the newest policy).
    const ready = await h.waitForView(
      name,
      'Ready',
      (v) => v.phase === 'Ready' && v.vipHolder === holder!.hostId,
    );

    await handle.executeUpdate(removeHostUpdate, { args: [{ hostId: holder!.hostId }] });
    const view = await h.waitForView(
      name,
      'removed',
      (v) => v.hosts.length === 3 && v.vipHolder === second!.hostId,
    );
    expect(view.phase).toBe('Ready');
    // Site election: the teardown stops the holder's elector, which releases the VIP (no releaseVip).
    expect(holder!.count('releaseVip')).toBe(0);
    expect(holder!.count('teardown')).toBe(1);
    expect(holder!.overlay).toBeNull();
    expect(second!.hasVip).toBe(true);
    for (const other of hosts.slice(1))
      expect(other.peers.some((p) => p.hostId === holder!.hostId)).toBe(false);
    expect((await getHost(h.client, holder!.hostId))?.cluster).toBeNull();
    const events = await h.events(name);
    expect(events.find((e) => e.type === 'HostRemoved')?.hostId).toBe(holder!.hostId);
    const moves = events.filter((e) => e.type === 'VipMoved').map((e) => e.data);
    expect(moves.some((m) => m.from === holder!.hostId)).toBe(true);
    expect(moves.at(-1)).toMatchObject({ to: second!.hostId });
    expect(
      events.some((e) => e.type === 'VipPolicyChanged' && e.data.voters?.toString() === second!.hostId),
    ).toBe(true);

    await handle.executeUpdate(addHostsUpdate, {
      args: [{ hosts: [{ hostId: holder!.hostId, role: 'worker' }] }],
    });
    const back = await h.waitForView(
      name,
      're-added',
      (v) => v.hosts.find((x) => x.hostId === holder!.hostId)?.state === 'Joined',
    );
    expect(back.hosts.find((x) => x.hostId === holder!.hostId)?.overlayIp).toBe(
      ready.hosts.find((x) => x.hostId === holder!.hostId)?.overlayIp,
    );
    expect(back.vipHolder).toBe(second!.hostId); // no flapping back
    for (const f of hosts) {
      const others = hosts.filter((o) => o !== f).map((o) => `${o.hostId}=${o.underlayIp}`);
      expect(f.peers.map((p) => `${p.hostId}=${p.underlayIp}`).sort()).toEqual(others.sort());
    }
    await recordHistory(h.client, 'cluster', 'remove-host', clusterWorkflowId(name));
  });

  it('delete tears down every host, frees the hosts and completes', async () => {
    const hosts = await h.addHosts(3);
    const { name, handle } = await h.startCluster(roles(hosts, 1));
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    const accepted = await handle.executeUpdate(deleteClusterUpdate);
    expect(accepted.phase).toBe('Deleting');
    await expect(
      handle.executeUpdate(addHostsUpdate, {
        args: [{ hosts: [{ hostId: hosts[0]!.hostId, role: 'worker' }] }],
      }),
    ).rejects.toMatchObject({ cause: { type: expect.stringMatching(/ClusterDeleting/) } });
    const final = (await handle.result()) as ClusterView;
    expect(final.phase).toBe('Deleting');
    for (const fake of hosts) {
      expect(fake.count('teardown')).toBe(1);
      expect(fake.overlay).toBeNull();
      expect((await getHost(h.client, fake.hostId))?.cluster).toBeNull();
    }
    const types = (await h.events(name)).map((e) => e.type);
    expect(types.slice(-1)).toEqual(['ClusterDeleted']);
    expect(types).toContain('ClusterDeleting');
    await recordHistory(h.client, 'cluster', 'delete', clusterWorkflowId(name));
  });

  it('a host held by a cluster workflow that no longer runs can join a new cluster', async () => {
    const hosts = await h.addHosts(2);
    const first = await h.startCluster(roles(hosts, 1));
    await h.waitForView(first.name, 'Ready', (v) => v.phase === 'Ready');
    await first.handle.terminate('operator removed the workflow');
    expect((await getHost(h.client, hosts[0]!.hostId))?.cluster).toBe(first.name); // stale claim

    const second = await h.startCluster(roles(hosts, 1));
    const view = await h.waitForView(second.name, 'Ready', (v) => v.phase === 'Ready');
    expect(view.hosts.map((x) => x.state)).toEqual(['Joined', 'Joined']);
    expect((await getHost(h.client, hosts[0]!.hostId))?.cluster).toBe(second.name);
  });
});
