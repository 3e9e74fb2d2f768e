// The site VIP election as the cluster workflow sees it (issue 13, 'site-vip-election'): the policy its
// control-plane hosts get with their peer tables, voters changed one host at a time, and the holder taken
// from the hosts' reports (sent here as the control worker's relay would, plus the fake site's own).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addHostsUpdate,
  deleteClusterUpdate,
  removeHostUpdate,
  vipReportSignal,
} from '../../src/contract/workflow-messages.js';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import type { DomainEvent } from '../../src/domain/types.js';
import { ClusterHarness } from './support/cluster-harness.js';
import type { FakeHost } from './support/fake-host.js';
import { recordHistory } from './support/record.js';

const of = (events: DomainEvent[], type: DomainEvent['type']) => events.filter((e) => e.type === type);
const voterSets = (events: DomainEvent[]) =>
  of(events, 'VipPolicyChanged')
    .map((e) => e.data.voters as string[])
    .filter((v, i, all) => i === 0 || v.join() !== all[i - 1]!.join());

describe('site VIP election (control plane side)', () => {
  let h: ClusterHarness;
  beforeEach(async () => {
    h = await ClusterHarness.create();
  });
  afterEach(async () => {
    await h.close();
  });

  it('sends the policy to voters only, records the holder from reports, and drops bad or stale ones', async () => {
    const [a, b, c, w] = (await h.addHosts(4)) as [FakeHost, FakeHost, FakeHost, FakeHost];
    // The request's order ranks the control planes (c first), not their ids.
    const { name, handle } = await h.startCluster([
      { hostId: c.hostId, role: 'control-plane' },
      { hostId: a.hostId, role: 'control-plane' },
      { hostId: w.hostId, role: 'worker' },
      { hostId: b.hostId, role: 'control-plane' },
    ]);
    await h.waitForView(name, 'Ready, c holds', (v) => v.phase === 'Ready' && v.vipHolder === c.hostId);
    // every voter's last push may still be on its way after Ready: wait for all three, not one
    await h.waitFor(
      'final policy on every voter',
      async () => [a, b, c].map((f) => f.vipPolicy?.eligible.length),
      (n) => n.every((x) => x === 3),
    );
    for (const f of [a, b, c]) {
      expect(f.vipPolicy).toMatchObject({
        voters: [c.hostId, a.hostId, b.hostId],
        eligible: [
          { hostId: c.hostId, priority: 3 },
          { hostId: a.hostId, priority: 2 },
          { hostId: b.hostId, priority: 1 },
        ],
      });
    }
    expect(w.vipPolicy).toBeNull();
    expect(w.count('setPeers')).toBeGreaterThan(0);
    for (const f of [a, b, c, w]) expect(f.count('assignVip') + f.count('releaseVip')).toBe(0);
    // Joins settle in any order: the first holder may be another host until c is eligible and preempts.
    const initial = of(await h.events(name), 'VipMoved');
    expect(initial[0]).toMatchObject({ data: { from: null, reason: 'Initial', at: expect.any(Number) } });
    expect(initial.at(-1)).toMatchObject({ hostId: c.hostId, data: { to: c.hostId } });
    expect(initial.at(-1)!.data.policyVersion).toBe(a.vipPolicy!.policyVersion);

    const signal = (input: unknown) => handle.signal(vipReportSignal, input as never);
    const report = (f: FakeHost, seq: number, holding: boolean, reason: string) => ({
      hostId: f.hostId,
      cluster: name,
      seq,
      holding,
      reason,
      at: Date.now(),
      policyVersion: a.vipPolicy!.policyVersion,
    });
    const cSeq = c.vipSeq;
    // Hostile, foreign, stale and non-control-plane reports: none moves the holder.
    await signal({ ...report(a, 50, true, 'Initial'), seq: 'x', extra: '<script>' });
    await signal({ ...report(a, 51, true, 'Initial'), cluster: 'another-cluster' });
    await signal({ ...report(a, 52, true, 'Initial'), hostId: 'not-a-member' });
    await signal(report(w, 53, true, 'Initial'));
    await signal(report(c, cSeq, false, 'QuorumLost')); // a repeat of c's last seq
    // b claims after c lost its peers; c's release is delivered after b's claim (reordered).
    await signal(report(b, 10, true, 'HolderLost'));
    await signal(report(b, 10, true, 'HolderLost')); // QoS 1 redelivery
    await signal(report(c, cSeq + 1, false, 'QuorumLost'));
    await signal(report(c, cSeq, false, 'QuorumLost')); // older than the last: ignored
    const events = await h.waitFor(
      'late release recorded',
      () => h.events(name),
      (e) => of(e, 'VipReleased').length > 0,
    );
    expect((await h.view(name)).vipHolder).toBe(b.hostId);
    expect(of(events, 'MessageRejected').map((e) => e.data)).toHaveLength(1);
    expect(of(events, 'MessageRejected')[0]!.data).toMatchObject({ signal: 'vipReport' });
    expect(JSON.stringify(events)).not.toContain('<script>');
    const moves = of(events, 'VipMoved').map((e) => [e.data.from, e.data.to, e.data.reason]);
    expect(moves.slice(initial.length)).toEqual([[c.hostId, b.hostId, 'HolderLost']]);
    expect(of(events, 'VipReleased')).toEqual([
      expect.objectContaining({
        hostId: c.hostId,
        data: expect.objectContaining({ late: true, reason: 'QuorumLost' }),
      }),
    ]);
    // b releases: nobody else's last report says holding, so nobody holds.
    await signal(report(b, 11, false, 'Outranked'));
    await h.waitForView(name, 'no holder', (v) => v.vipHolder === null);
    await recordHistory(h.client, 'cluster', 'site-vip-reports', clusterWorkflowId(name));

    // DELETE: no releaseVip, the teardowns stop the electors.
    await handle.executeUpdate(deleteClusterUpdate);
    await handle.result();
    for (const f of [a, b, c, w]) expect(f.count('releaseVip')).toBe(0);
    for (const f of [a, b, c]) expect(f.vipPolicy).toBeNull();
  });

  it('changes the voters one host at a time, each step once the last one is committed', async () => {
    const hosts = await h.addHosts(5);
    const [first, ...rest] = hosts as [FakeHost, ...FakeHost[]];
    const { name, handle } = await h.startCluster([{ hostId: first.hostId, role: 'control-plane' }]);
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready' && v.vipHolder === first.hostId);
    await handle.executeUpdate(addHostsUpdate, {
      args: [{ hosts: rest.map((f) => ({ hostId: f.hostId, role: 'control-plane' as const })) }],
    });
    const all = hosts.map((f) => f.hostId);
    await h.waitFor(
      'every host a voter and eligible',
      async () => hosts.map((f) => f.vipPolicy?.eligible.length ?? 0),
      (n) => n.every((x) => x === 5),
    );
    for (const f of hosts) expect(f.vipPolicy?.voters).toEqual(all);
    // Two hosts leave at once: again one voter at a time.
    await handle.executeUpdate(removeHostUpdate, { args: [{ hostId: rest[0]!.hostId }] });
    await handle.executeUpdate(removeHostUpdate, { args: [{ hostId: rest[1]!.hostId }] });
    const left = [first.hostId, rest[2]!.hostId, rest[3]!.hostId];
    await h.waitFor(
      'three voters',
      async () => first.vipPolicy?.voters,
      (v) => v?.join() === left.join(),
    );
    const sets = voterSets(await h.events(name));
    expect(sets[0]).toEqual([first.hostId]);
    expect(sets.at(-1)).toEqual(left);
    for (let i = 1; i < sets.length; i++) {
      const prev = new Set(sets[i - 1]);
      const next = new Set(sets[i]);
      const changed =
        [...prev].filter((x) => !next.has(x)).length + [...next].filter((x) => !prev.has(x)).length;
      expect(changed, `${sets[i - 1]} → ${sets[i]}`).toBe(1);
    }
    expect(sets.length).toBe(1 + 4 + 2);
    const view = await h.view(name);
    expect(view.vipHolder).toBe(first.hostId);
    await recordHistory(h.client, 'cluster', 'site-vip-voter-steps', clusterWorkflowId(name));
  });
});
