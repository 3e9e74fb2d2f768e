// The site VIP hook on the real kernel (issue 13): 3 hosts in network namespaces on one L2, each running
// the agent's wiring (hook-host.ts: state file, real host activities, version guard, hook) in its own
// process inside its namespace, driven by the host activities' inputs as the control plane would send
// them (no control plane). A checker samples every host's `ip -j addr` every 50 ms for the whole file:
// never two holders. Who holds is read from the kernel, never from the hook.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteVipPolicyInput } from '../../../src/domain/site-vip.js';
import { OVERLAY_BRIDGE } from '../../../src/domain/constants.js';
import { VipLab } from '../../../src/lab/vip-lab.js';
import { HolderChecker } from '../../../src/lab/vip-lab-watch.js';
import { notRoot } from '../../helpers/netns-lab.js';
import { HookHost } from './hook-proc.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ALL = ['h1', 'h2', 'h3'];

describe.skipIf(notRoot('site VIP hook (netns)'))('site VIP hook on the real kernel (3 netns hosts)', () => {
  let lab: VipLab;
  let work: string;
  const hosts: HookHost[] = [];
  let tableVersion = 1;
  /** The lab's checker, then a fresh one: `ip -batch` keeps a device's index, and teardown makes a new
   * bridge. Both count towards "never two holders". */
  let checker: HolderChecker;
  const checkers: HolderChecker[] = [];
  const newChecker = () => {
    checker = checkers.length === 0 ? lab.checker : new HolderChecker(lab.hosts, OVERLAY_BRIDGE, lab.vip);
    checkers.push(checker);
    checker.start();
  };

  const stateDir = (i: number) => join(work, `h${i + 1}`);
  const peers = () =>
    lab.hosts.map((h) => ({
      hostId: h.hostId,
      underlayIp: h.underlayIp,
      overlayIp: h.overlayIp,
      publicKey: h.spki,
    }));
  const policy = (policyVersion: number, voters: string[], priorities: number[]): SiteVipPolicyInput => ({
    policyVersion,
    advertIntervalMs: 100,
    voters,
    eligible: voters.map((hostId, i) => ({ hostId, priority: priorities[i]! })),
  });
  const setPeers = (i: number, vip: SiteVipPolicyInput | undefined, version = ++tableVersion) =>
    hosts[i]!.call('setPeers', { spec: lab.spec, peers: peers(), version, ...(vip ? { vip } : {}) });
  const pushAll = async (vip: SiteVipPolicyInput) => {
    const version = ++tableVersion;
    await Promise.all(hosts.map((_, i) => setPeers(i, vip, version)));
    return Date.now();
  };
  const applyOverlay = (i: number) =>
    hosts[i]!.call('applyOverlay', { spec: lab.spec, overlayIp: lab.hosts[i]!.overlayIp });
  const start = async (i: number) => {
    const h = lab.hosts[i]!;
    const cfg = { hostId: h.hostId, stateDir: stateDir(i), privateKeyPem: h.privateKeyPem, iface: 'eth0' };
    const { host, reapplied } = await HookHost.start(h.ns, cfg);
    hosts[i] = host;
    return reapplied;
  };
  /** The kernel shows `holder` alone (null: nobody) from a sample within `ms` on. */
  const holderIs = (holder: string | null, ms = 5000) =>
    checker.waitFor((s) => s.holders.join() === (holder ?? ''), ms);
  /** Every sample of the next `ms` shows `holder` alone (null: nobody). */
  const holderStays = async (holder: string | null, ms: number) => {
    const from = Date.now();
    await sleep(ms);
    const seen = checker.samplesBetween(from, Date.now());
    expect(seen.length).toBeGreaterThan(ms / 100);
    expect([...new Set(seen.map((s) => s.holders.join()))]).toEqual([holder ?? '']);
  };
  const lastReport = (i: number) => hosts[i]!.reports().at(-1);
  const stateOf = async (i: number) =>
    JSON.parse(await readFile(join(stateDir(i), 'agent-state.json'), 'utf8')) as Record<string, unknown>;

  beforeAll(async () => {
    lab = await VipLab.create({ hosts: 3 });
    work = await mkdtemp(join(tmpdir(), 'eo-site-vip-'));
    newChecker();
    for (let i = 0; i < 3; i++) expect(await start(i)).toBe(false);
    for (let i = 0; i < 3; i++) await applyOverlay(i);
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop(true).catch(() => undefined)));
    for (const c of checkers.slice(1)) await c.stop().catch(() => undefined);
    await lab?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a policy naming the three hosts voters elects exactly one holder, which reports it', async () => {
    const at = await pushAll(policy(1, ALL, [100, 100, 100]));
    const first = await holderIs('h1'); // equal priorities: the smallest host id
    console.log(`[site-vip hook] h1 holds alone ${first.at - at} ms after the policy`);
    expect(first.at - at).toBeLessThanOrEqual(2000);
    await holderStays('h1', 1000);
    expect(hosts[0]!.reports()).toEqual([
      { cluster: 'vip', holding: true, reason: 'Initial', at: expect.any(Number), policyVersion: 1 },
    ]);
    expect(hosts[1]!.reports()).toEqual([]);
    expect(await hosts[0]!.status()).toMatchObject({ cluster: 'vip', holding: true, kernelHolding: true });
    expect(await hosts[1]!.status()).toMatchObject({ holding: false, holder: 'h1', policyVersion: 1 });
    // the policy is in the state file; the legacy flag is not used with it
    expect(await stateOf(1)).toMatchObject({ vipPolicy: { policyVersion: 1, voters: ALL }, vipHeld: false });
  });

  it('a newer policy that ranks another host higher moves the VIP; stale tables and older policies change nothing', async () => {
    await pushAll(policy(2, ALL, [100, 100, 200]));
    const released = await holderIs(null);
    const claimed = await holderIs('h3');
    // the hosts take the new policy a few ms apart, and adverts of another policy version do not count:
    // the holder may lose its majority before it sees itself outranked
    console.log(`[site-vip hook] priority change: no holder for ${claimed.at - released.at} ms`);
    await holderStays('h3', 500);
    expect(lastReport(0)).toMatchObject({ holding: false, policyVersion: 2 });
    expect(['Outranked', 'QuorumLost']).toContain(lastReport(0)!.reason);
    expect(lastReport(2)).toMatchObject({ holding: true, policyVersion: 2 });

    // a table older than the one in place (a redelivery) is left alone, its policy with it
    expect(await setPeers(2, policy(1, ['h1'], [100]), 1)).toMatchObject({ stale: true });
    // a newer table with an older policy: the table applies, the newer policy stays
    await pushAll(policy(1, ALL, [100, 100, 100]));
    await holderStays('h3', 1500);
    expect(await hosts[2]!.status()).toMatchObject({ policyVersion: 2, holding: true });
    expect(await stateOf(0)).toMatchObject({ vipPolicy: { policyVersion: 2 } });
  });

  it('a policy without the holder among the voters stops its elector with a release; the voters elect another', async () => {
    const at = await pushAll(policy(3, ['h1', 'h2'], [100, 100]));
    const moved = await holderIs('h1');
    console.log(`[site-vip hook] holder removed from the voters: h1 holds ${moved.at - at} ms later`);
    expect(await hosts[2]!.status()).toBeNull();
    expect(lastReport(2)).toMatchObject({ holding: false, reason: 'Stopped', policyVersion: 2 });
    expect(await stateOf(2)).toMatchObject({ vipPolicy: { policyVersion: 3, voters: ['h1', 'h2'] } });
    await holderStays('h1', 500);
  });

  it('assignVip and releaseVip leave the kernel to the election while it runs', async () => {
    expect(await hosts[1]!.call('assignVip', { spec: lab.spec })).toEqual({ changed: false });
    expect(await hosts[0]!.call('releaseVip', { spec: lab.spec })).toEqual({ changed: false });
    // not a voter, but the cluster has a policy: no VIP beside the election either
    expect(await hosts[2]!.call('assignVip', { spec: lab.spec })).toEqual({ changed: false });
    await holderStays('h1', 1000);
  });

  it('teardown stops the election with a release before the overlay goes', async () => {
    await hosts[0]!.call('teardown', { spec: lab.spec });
    expect(lastReport(0)).toMatchObject({ holding: false, reason: 'Stopped', policyVersion: 3 });
    expect(await hosts[0]!.status()).toBeNull();
    expect(await stateOf(0)).toMatchObject({ overlay: null, vipPolicy: null });
    await holderStays(null, 1500); // h2 alone is 1 of 2 voters: no majority, no VIP
  });

  it('a restarted host never claims from its state file: it holds only once a majority runs', async () => {
    await applyOverlay(0);
    newChecker();
    await pushAll(policy(4, ALL, [100, 100, 100]));
    await holderIs('h1');
    // every agent dies at once (SIGKILL: no release); each state file claims the VIP was held
    for (const h of hosts) h.kill();
    await Promise.all(hosts.map((h) => h.exited));
    for (let i = 0; i < 3; i++) {
      const path = join(stateDir(i), 'agent-state.json');
      await writeFile(path, JSON.stringify({ ...(await stateOf(i)), vipHeld: true }));
    }
    await holderIs(null, 3000); // the kernel lifetime removes the dead holder's address

    expect(await start(0)).toBe(true); // the overlay is back from the state file...
    expect(await hosts[0]!.status()).toMatchObject({ policyVersion: 4, holding: false });
    await holderStays(null, 2500); // ...but 1 of 3 voters is no majority: no VIP
    const at = Date.now();
    expect(await start(1)).toBe(true);
    const held = await holderIs('h1');
    console.log(`[site-vip hook] restarted h1+h2: h1 holds ${held.at - at} ms after h2's start`);
    await holderStays('h1', 500);
  });

  it('never two holders at any sample of the whole file', () => {
    const samples = checkers.flatMap((c) => c.samples);
    const violations = checkers.flatMap((c) => c.violations);
    console.log(`[site-vip hook] ${samples.length} samples, ${violations.length} with two holders`);
    expect(samples.length).toBeGreaterThan(100);
    expect(violations).toEqual([]);
  });
});
