// Issue 14, point 2, in the workflows (real dev server, fake hosts): an overlay CIDR over a member's
// underlay subnet is refused at admission (nothing claimed); a host whose own preflight finds its subnet or
// its broker address inside the CIDR fails its join with the reason and gets nothing applied; a join that
// fails after programming started tears the host down again; status never calls a failed host healthy.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getHost, reportUnderlay } from '../../src/temporal/hosts.js';
import { underlayOverlapProblems } from '../../src/domain/underlay-overlap.js';
import type { PreflightInput } from '../../src/activities/host/contract.js';
import { ClusterHarness, roles } from './support/cluster-harness.js';
import type { FakeHost } from './support/fake-host.js';

const subnetOf = (f: FakeHost) => f.underlayIp.split('.').slice(0, 3).join('.');

/** The fake answers preflight as the real one does on a host whose eth0 is `<ip>/24` and whose broker
 * connection goes to `broker` (the kernel side is tested in test/activities/preflight-overlay.test.ts). */
function seesItsOwnUnderlay(f: FakeHost, broker?: string): void {
  const run = f.run.bind(f);
  f.run = async (kind, input) => {
    const result = (await run(kind, input)) as Record<string, unknown>;
    const spec = (input as PreflightInput | undefined)?.spec;
    if (kind !== 'preflight' || !spec) return result;
    const self = { hostId: f.hostId, underlayIp: f.underlayIp, prefixLength: 24, brokerAddress: broker };
    return { ...result, overlayProblems: underlayOverlapProblems(spec.overlayCidr, [self]) };
  };
}

describe('overlay CIDR against the underlay, in the workflows', () => {
  let h: ClusterHarness;
  beforeEach(async () => {
    h = await ClusterHarness.create();
  });
  afterEach(async () => h.close());

  it("admission refuses a CIDR over a member's reported subnet: no claim kept, ClusterRejected says why", async () => {
    const hosts = await h.addHosts(2, 'adm');
    const [a] = hosts;
    // the agent's report: subnet /24 (the old check saw only the address, outside the upper /25)
    a!.underlaySeq += 1;
    await reportUnderlay(
      h.client,
      {
        hostId: a!.hostId,
        seq: a!.underlaySeq,
        underlayIp: a!.underlayIp,
        underlayIface: 'eth0',
        prefixLength: 24,
      },
      { taskQueue: h.taskQueue },
    );
    const cidr = `${subnetOf(a!)}.128/25`;
    const { name, handle } = await h.startCluster(roles(hosts, 1), {}, { overlayCidr: cidr });
    await handle.result();
    const events = await h.events(name);
    const rejected = events.find((e) => e.type === 'ClusterRejected');
    expect(JSON.stringify(rejected?.data)).toContain(
      `overlaps the underlay subnet ${subnetOf(a!)}.0/24 of host ${a!.hostId}`,
    );
    expect(events.some((e) => e.type === 'HostJoined' || e.type === 'HostJoinFailed')).toBe(false);
    for (const f of hosts) {
      expect((await getHost(h.client, f.hostId))?.cluster).toBeNull();
      expect(f.calls).toEqual([]);
    }
  });

  it('a host whose preflight finds its subnet or its broker address in the CIDR fails its join; nothing applied', async () => {
    const hosts = await h.addHosts(3, 'pre');
    const [cp, inSubnet, cutOff] = hosts as [FakeHost, FakeHost, FakeHost];
    // the registry knows no prefix for these hosts (admin registration): only the host itself can tell
    seesItsOwnUnderlay(cp);
    seesItsOwnUnderlay(inSubnet);
    seesItsOwnUnderlay(cutOff, '100.90.0.2'); // reaches the control plane through a range the CIDR takes
    inSubnet.underlayIp = '100.90.0.200'; // its eth0 is 100.90.0.200/24: the CIDR's upper half
    await h.report(inSubnet);
    const { name } = await h.startCluster(roles(hosts, 1), {}, { overlayCidr: '100.90.0.0/25', vni: 4242 });
    const view = await h.waitForView(
      name,
      'two joins failed',
      (v) =>
        v.hosts.filter((x) => x.state === 'Failed').length === 2 && v.hosts.some((x) => x.state === 'Joined'),
    );
    expect(view.hosts.find((x) => x.hostId === cp.hostId)?.state).toBe('Joined');
    const events = await h.events(name);
    const failed = (id: string) =>
      JSON.stringify(events.find((e) => e.type === 'HostJoinFailed' && e.hostId === id)?.data);
    expect(failed(inSubnet.hostId)).toContain('InvalidOverlayConfig');
    expect(failed(inSubnet.hostId)).toContain('overlaps the underlay subnet 100.90.0.0/24');
    expect(failed(cutOff.hostId)).toContain("contains the control plane's address 100.90.0.2");
    for (const f of [inSubnet, cutOff]) {
      expect(f.calls).not.toContain('applyOverlay');
      expect(f.overlay).toBeNull();
    }
    const healthy = view.conditions.find((c) => c.type === 'HostsHealthy');
    expect(healthy).toMatchObject({ status: 'False', reason: 'HostJoinFailed' });
  });

  it('a join that fails after programming started tears the host down again', async () => {
    const hosts = await h.addHosts(2, 'undo', (i) => (i === 1 ? { failSetPeers: true } : {}));
    const bad = hosts[1]!;
    const { name } = await h.startCluster(roles(hosts, 1));
    await h.waitForView(name, 'join failed', (v) => v.hosts.some((x) => x.state === 'Failed'));
    await h.waitFor(
      'teardown',
      async () => bad.calls,
      (c) => c.includes('teardown'),
    );
    expect(bad.calls.indexOf('applyOverlay')).toBeLessThan(bad.calls.indexOf('teardown'));
    expect(bad.overlay).toBeNull();
  });
});
