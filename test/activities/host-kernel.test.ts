// Host activities against the real kernel: three hosts on one L2, unicast head-end replication.
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceMac } from '../../src/activities/host/index.js';
import type { HostActivities } from '../../src/activities/host/contract.js';
import type { Peer } from '../../src/domain/types.js';
import { testSpec } from '../fixtures/overlay-spec.js';
import { addrReplace, addrDel, processRunner, sysctlSet } from '../../src/net/index.js';
import { createLab, kernelSnapshot, notRoot, type Lab, type LabHost } from '../helpers/netns-lab.js';
import { labHostActivities } from '../helpers/lab-activities.js';

const spec = testSpec({ clusterName: 'kernel' });
const overlayIp = (i: number) => `100.64.192.${10 + i}`;
const log = pino({ level: 'silent' });

async function linkJson(ns: string, dev: string) {
  const { stdout } = await execa('ip', ['-n', ns, '-j', '-d', 'link', 'show', 'dev', dev]);
  return JSON.parse(stdout)[0];
}
async function herDsts(ns: string): Promise<string[]> {
  const { stdout } = await execa('bridge', ['-n', ns, '-j', 'fdb', 'show', 'dev', 'vxlan100']);
  return (JSON.parse(stdout) as Array<{ mac: string; dst?: string }>)
    .filter((e) => e.mac === '00:00:00:00:00:00' && e.dst)
    .map((e) => e.dst as string)
    .sort();
}

/** States of the underlay (eth0) neighbour entry for IP; [] when there is none. */
async function neighStates(ns: string, ip: string): Promise<string[]> {
  const { stdout } = await execa('ip', ['-n', ns, '-j', 'neigh', 'show', 'to', ip, 'dev', 'eth0']);
  return (JSON.parse(stdout || '[]') as Array<{ state?: string[] }>).flatMap((e) => e.state ?? []);
}

describe.skipIf(notRoot('host activities on the kernel'))('host activities on the kernel (unicast)', () => {
  let lab: Lab;
  let acts: HostActivities[];
  const peersOf = (): Peer[] =>
    lab.hosts.map((h, i) => ({ hostId: h.name, underlayIp: h.underlayIp, overlayIp: overlayIp(i + 1) }));

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    acts = labHostActivities(lab, log);
  });
  afterAll(() => lab?.cleanup());

  it('setPeers before applyOverlay fails naming it (the missing device comes from the FDB read itself)', async () => {
    await expect(acts[0]!.setPeers({ spec, peers: peersOf() })).rejects.toMatchObject({
      type: 'HostCommandFailed',
      message: expect.stringContaining('applyOverlay must run first'),
    });
  });

  it('preflight reports the underlay and no problems', async () => {
    const res = await acts[0]!.preflight();
    expect(res).toMatchObject({
      hostId: 'h1',
      underlayIp: lab.hosts[0]!.underlayIp,
      underlayMtu: 1500,
      vxlanSupported: true,
      udpPortFree: true,
      driver: 'veth',
      offloadsDisabled: [],
      problems: [],
    });
  });

  it('applyOverlay builds vxlan100 in scbr-100 with fixed MACs, MTU and the overlay IP; a rerun changes nothing', async () => {
    for (const [i, a] of acts.entries())
      expect((await a.applyOverlay({ spec, overlayIp: overlayIp(i + 1) })).changed).toBe(true);
    const ns = lab.hosts[0]!.ns;
    const vx = await linkJson(ns, 'vxlan100');
    expect(vx.master).toBe('scbr-100');
    expect(vx.mtu).toBe(1450);
    expect(vx.address).toBe(deviceMac('h1', 'vxlan'));
    expect(vx.linkinfo.info_data).toMatchObject({ id: 100, port: 4789, link: 'eth0', learning: false });
    expect(vx.linkinfo.info_data.local).toBeUndefined();
    const br = await linkJson(ns, 'scbr-100');
    expect(br.address).toBe(deviceMac('h1', 'bridge'));
    expect(br.flags).toContain('UP');
    const before = await kernelSnapshot(ns);
    const again = await acts[0]!.applyOverlay({ spec, overlayIp: overlayIp(1) });
    expect(again).toEqual({
      changed: false,
      vxlanDevice: 'vxlan100',
      bridge: 'scbr-100',
      mac: deviceMac('h1', 'bridge'),
      mtu: 1450,
    });
    expect(await kernelSnapshot(ns)).toEqual(before);
  });

  it('setPeers programs one all-zero entry per other host; a rerun changes nothing', async () => {
    const res = await Promise.all(acts.map((a) => a.setPeers({ spec, peers: peersOf() })));
    // each host says which table it has: the digest of the two other hosts (its own entry does not count)
    for (const r of res) expect(r.digest).toMatch(/^[0-9a-f]{16}\/2$/);
    expect(res).toMatchObject([
      { added: 2, removed: 0 },
      { added: 2, removed: 0 },
      { added: 2, removed: 0 },
    ]);
    expect(await herDsts(lab.hosts[0]!.ns)).toEqual(
      [lab.hosts[1]!.underlayIp, lab.hosts[2]!.underlayIp].sort(),
    );
    const before = await kernelSnapshot(lab.hosts[0]!.ns);
    expect(await acts[0]!.setPeers({ spec, peers: peersOf() })).toMatchObject({ added: 0, removed: 0 });
    expect(await kernelSnapshot(lab.hosts[0]!.ns)).toEqual(before);
  });

  it('the overlay carries traffic: probePeers reaches every host and counts lost probes for a dead one', async () => {
    const res = await acts[0]!.probePeers({
      targets: [overlayIp(2), overlayIp(3)],
      count: 2,
      timeoutMs: 1000,
    });
    expect(res).toEqual({ reachable: [overlayIp(2), overlayIp(3)], unreachable: [], sent: 4, lost: 0 });
    const dead = await acts[0]!.probePeers({ targets: ['100.64.192.250'], count: 2, timeoutMs: 200 });
    expect(dead).toEqual({ reachable: [], unreachable: ['100.64.192.250'], sent: 2, lost: 2 });
  });

  it('without a count the probe is adaptive: one echo per healthy target, three more for a silent one', async () => {
    const started = performance.now();
    const live = await acts[0]!.probePeers({ targets: [overlayIp(2), overlayIp(3)] });
    // two echoes 0.2 s apart would take 200 ms at least: a single one answers at once
    expect(performance.now() - started).toBeLessThan(200);
    expect(live).toEqual({ reachable: [overlayIp(2), overlayIp(3)], unreachable: [], sent: 2, lost: 0 });
    const dead = await acts[0]!.probePeers({ targets: [overlayIp(2), '100.64.192.250'], timeoutMs: 200 });
    expect(dead).toEqual({ reachable: [overlayIp(2)], unreachable: ['100.64.192.250'], sent: 4, lost: 3 });
  });

  it('setPeers with probe: true probes every other host of the table once it is in place', async () => {
    const res = await acts[0]!.setPeers({ spec, peers: peersOf(), probe: true });
    expect(res).toMatchObject({
      added: 0,
      removed: 0,
      probe: { reachable: [overlayIp(2), overlayIp(3)], unreachable: [], sent: 2, lost: 0 },
    });
  });

  it('the VIP moves between hosts with a gratuitous ARP and stays reachable', async () => {
    expect(await acts[1]!.assignVip({ spec })).toEqual({ changed: true });
    expect(await acts[1]!.assignVip({ spec })).toEqual({ changed: false });
    expect((await acts[0]!.probePeers({ targets: [spec.vip], count: 1 })).lost).toBe(0);
    expect(await acts[1]!.releaseVip({ spec })).toEqual({ changed: true });
    expect(await acts[1]!.releaseVip({ spec })).toEqual({ changed: false });
    expect(await acts[2]!.assignVip({ spec })).toEqual({ changed: true });
    // h1's neighbour entry for the VIP now points at h3's bridge MAC (the GARP moved it)
    const res = await acts[0]!.probePeers({ targets: [spec.vip], count: 1 });
    expect(res.lost).toBe(0);
    const { stdout } = await execa('ip', ['-n', lab.hosts[0]!.ns, '-j', 'neigh', 'show', spec.vip]);
    expect(JSON.parse(stdout)[0]?.lladdr).toBe(deviceMac('h3', 'bridge'));
  });

  it('after h3 is renumbered, setPeers on the others swaps one entry and the overlay heals', async () => {
    const h3 = lab.hosts[2]!;
    const newIp = `${lab.subnet}.99`;
    // old address first (as a DHCP client does): deleting a primary also drops its secondaries
    await addrDel(processRunner, 'eth0', h3.underlayIp, 24, h3.ns);
    await addrReplace(processRunner, 'eth0', newIp, 24, h3.ns);
    h3.underlayIp = newIp;
    expect((await acts[0]!.probePeers({ targets: [overlayIp(3)], count: 1, timeoutMs: 300 })).lost).toBe(1);
    // h3 itself changes nothing (`local` unset)
    expect(await acts[2]!.setPeers({ spec, peers: peersOf() })).toMatchObject({ added: 0, removed: 0 });
    expect(await acts[0]!.setPeers({ spec, peers: peersOf() })).toMatchObject({ added: 1, removed: 1 });
    expect(await acts[1]!.setPeers({ spec, peers: peersOf() })).toMatchObject({ added: 1, removed: 1 });
    expect((await acts[0]!.probePeers({ targets: [overlayIp(3), spec.vip], count: 1 })).lost).toBe(0);
  });

  it('setPeers flushes the INCOMPLETE underlay neighbour entry of a removed destination', async () => {
    const [h1, h2, h3] = lab.hosts as [LabHost, LabHost, LabHost];
    // nobody on the lab's L2 has this address: h1's ARP for it stays unanswered
    const deadIp = `${lab.subnet}.222`;
    // keep an unanswered entry INCOMPLETE for ~10 s (default 3 s), so a slow run cannot see FAILED
    await sysctlSet(processRunner, { 'net.ipv4.neigh.eth0.mcast_solicit': '10' }, h1.ns);
    const lagging = peersOf().map((p) => (p.hostId === h3.name ? { ...p, underlayIp: deadIp } : p));
    expect(await acts[0]!.setPeers({ spec, peers: lagging })).toMatchObject({ added: 1, removed: 1 });
    // overlay traffic to h3 is VxLAN-encapsulated to the dead address: an ARP entry that queues it
    expect((await acts[0]!.probePeers({ targets: [overlayIp(3)], count: 1, timeoutMs: 200 })).lost).toBe(1);
    expect(await neighStates(h1.ns, deadIp)).toEqual(['INCOMPLETE']);
    expect(await neighStates(h1.ns, h2.underlayIp)).not.toEqual([]);

    expect(await acts[0]!.setPeers({ spec, peers: peersOf() })).toMatchObject({ added: 1, removed: 1 });
    expect(await neighStates(h1.ns, deadIp)).toEqual([]);
    // only the removed destination was flushed
    expect(await neighStates(h1.ns, h2.underlayIp)).not.toEqual([]);
    expect((await acts[0]!.probePeers({ targets: [overlayIp(3)], count: 1 })).lost).toBe(0);
    // a rerun removes nothing and flushes nothing
    expect(await acts[0]!.setPeers({ spec, peers: peersOf() })).toMatchObject({ added: 0, removed: 0 });
  });

  it('applyOverlay recreates an incompatible vxlan device and keeps the bridge and its address', async () => {
    const ns = lab.hosts[1]!.ns;
    await execa('ip', ['-n', ns, 'link', 'del', 'vxlan100']);
    await execa('ip', [
      '-n',
      ns,
      'link',
      'add',
      'vxlan100',
      'type',
      'vxlan',
      'id',
      '100',
      'dstport',
      '4790',
      'dev',
      'eth0',
    ]);
    expect((await acts[1]!.applyOverlay({ spec, overlayIp: overlayIp(2) })).changed).toBe(true);
    expect((await linkJson(ns, 'vxlan100')).linkinfo.info_data).toMatchObject({
      port: 4789,
      learning: false,
    });
    expect(await acts[1]!.setPeers({ spec, peers: peersOf() })).toMatchObject({ added: 2, removed: 0 });
    expect((await acts[1]!.probePeers({ targets: [overlayIp(1), overlayIp(3)], count: 1 })).lost).toBe(0);
  });

  it('teardown removes both devices; a rerun changes nothing', async () => {
    const ns = lab.hosts[0]!.ns;
    expect(await acts[0]!.teardown({ spec })).toEqual({ changed: true });
    expect(await acts[0]!.teardown({ spec })).toEqual({ changed: false });
    const { stdout } = await execa('ip', ['-n', ns, '-j', 'link', 'show']);
    const names = (JSON.parse(stdout) as Array<{ ifname: string }>).map((l) => l.ifname);
    expect(names).not.toContain('vxlan100');
    expect(names).not.toContain('scbr-100');
  });
});
