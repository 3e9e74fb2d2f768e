// The site's own VIP election, end to end (issue 13 points 3–5): the whole control plane, a DHCP lab of
// 4 hosts with real agents (3 control-plane hosts vote), a cluster created through the API. The kernel is
// the truth: a checker reads `ip -j addr` of every host every 50 ms for the whole run (never two holders);
// pingers in every namespace time when the VIP answers again. The API's vipHolder and VipMoved events must
// follow the kernel within 2 s while the control plane can reach the hosts, and catch up once it can again.
// Faults: the holder cut off (the cut-off side holds nothing after 1 s; one holder within 1 s of the heal);
// the control plane cut off the whole site (nothing moves); the control plane cut off and the holder's agent
// SIGKILLed (the site moves the VIP alone).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../src/cli/api-client.js';
import { waitFor } from '../../src/dev/process.js';
import { OVERLAY_BRIDGE } from '../../src/domain/constants.js';
import { startControlAccess, stopControlAccess } from '../../src/lab/control-access.js';
import { startAgent } from '../../src/lab/lab-agent.js';
import { FENCED_AFTER_MS, settledFrom } from '../../src/lab/vip-lab-faults.js';
import { type HolderSample, HolderChecker, VipPinger } from '../../src/lab/vip-lab-watch.js';
import { processRunner } from '../../src/net/index.js';
import { notRoot } from '../helpers/netns-lab.js';
import { type E2eEnv, startE2e } from './helpers.js';

const root = !notRoot('test/e2e/site-vip.test.ts');
/** Issue 13 point 3 (max) and point 5. */
const FAILOVER_MAX_MS = 2000;
const API_LAG_MAX_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const only = (s: HolderSample | undefined): string | null =>
  s && s.holders.length === 1 ? s.holders[0]! : null;

describe.skipIf(!root)('e2e: the site elects its VIP holder (netns, root)', () => {
  let env: E2eEnv;
  let checker: HolderChecker;
  let pingers: VipPinger[] = [];
  let cps: string[] = [];
  const report: Record<string, unknown> = {};

  /** ms from `since` until the API's vipHolder equals the kernel's single holder (polled every 100 ms). */
  async function apiCatchesUp(
    since: number,
    timeoutMs: number,
  ): Promise<{ ms: number; view: ClusterStatus }> {
    let view: ClusterStatus | undefined;
    await waitFor(
      'the API to name the kernel holder',
      async () => {
        view = await env.api.getCluster(env.name);
        const kernel = only(checker.last);
        return kernel !== null && view.vipHolder === kernel;
      },
      { timeoutMs, intervalMs: 100 },
    );
    return { ms: Date.now() - since, view: view! };
  }

  /** The first sample from now on with a single holder other than `not`. */
  const successorOf = (not: string, timeoutMs: number) =>
    checker.waitFor((s) => only(s) !== null && only(s) !== not, timeoutMs);

  /** Waits until one host has held the VIP alone at every sample for a second (a healed holder may
   * preempt first: that move is part of settling); returns it. */
  const settled = async (timeoutMs = 15_000): Promise<string> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const now = Date.now();
      const recent = checker.samplesBetween(now - 1000, now);
      const holder = only(recent[0]);
      if (holder && recent.length >= 10 && recent.every((x) => only(x) === holder)) return holder;
      if (now > end) throw new Error(`no stable VIP holder within ${timeoutMs} ms`);
      await sleep(100);
    }
  };

  beforeAll(async () => {
    env = await startE2e({ hosts: 4, controlPlanes: 3 });
    cps = env.cluster.hosts.filter((h) => h.role === 'control-plane').map((h) => h.hostId);
    checker = new HolderChecker(
      env.lab.hosts.map((h) => ({ hostId: h.hostId, ns: h.ns })),
      OVERLAY_BRIDGE,
      env.cluster.vip,
    );
    checker.start();
    pingers = env.lab.hosts.map((h) => new VipPinger(h.ns, env.cluster.vip));
  }, 300_000);

  afterAll(async () => {
    await Promise.all(pingers.map((p) => p.stop()));
    await checker?.stop();
    if (checker)
      process.stdout.write(
        `[e2e] site VIP ${JSON.stringify({ ...report, samples: checker.samples.length, violations: checker.violations.length })}\n`,
      );
    await env?.close();
  }, 120_000);

  it('the kernel holds the VIP on one control-plane host, and the API names it', async () => {
    const holder = await settled();
    expect(cps).toContain(holder);
    const { view } = await apiCatchesUp(Date.now(), API_LAG_MAX_MS);
    expect(view.vipHolder).toBe(holder);
    const events = await env.api.events(env.name);
    const moved = events.filter((e) => e.type === 'VipMoved');
    expect(moved.at(-1)?.hostId ?? moved.at(-1)?.data['to']).toBe(holder);
  }, 30_000);

  it('holder cut off at its switch port: a survivor answers for the VIP within 2 s, the API follows within 2 s', async () => {
    const victim = await settled();
    const host = env.lab.hosts.find((h) => h.hostId === victim)!;
    const mark = Math.max(0, ...(await env.api.events(env.name)).map((e) => e.seq));
    await processRunner.run('ip', ['-n', env.lab.switchNs, 'link', 'set', host.switchPort, 'down']);
    const t0 = Date.now();
    try {
      const gain = await successorOf(victim, 5000);
      const survivors = env.lab.hosts.map((h, i) => ({ h, i })).filter(({ h }) => h.hostId !== victim);
      const replies = await Promise.all(survivors.map(({ i }) => pingers[i]!.waitReplyAfter(gain.at, 3000)));
      const failoverMs = Math.max(...replies) - t0;
      const api = await apiCatchesUp(gain.at, API_LAG_MAX_MS + 3000);
      report['powerOff'] = {
        victim,
        successor: only(gain),
        claimMs: gain.at - t0,
        failoverMs,
        apiLagMs: api.ms,
      };
      expect(failoverMs).toBeLessThanOrEqual(FAILOVER_MAX_MS);
      expect(api.ms).toBeLessThanOrEqual(API_LAG_MAX_MS);
      const events = await env.api.events(env.name);
      const move = events.filter((e) => e.type === 'VipMoved').at(-1);
      expect(move?.data).toMatchObject({ to: only(gain) });
      // The cut-off side holds nothing once it had time to fence itself (its own copy expired or released).
      await sleep(Math.max(0, t0 + FENCED_AFTER_MS + 500 - Date.now()));
      const cutOffHeld = checker
        .samplesBetween(t0 + FENCED_AFTER_MS, Date.now())
        .filter((x) => x.holders.includes(victim)).length;
      report['powerOff'] = { ...(report['powerOff'] as object), cutOffHeld };
      expect(cutOffHeld).toBe(0);
    } finally {
      await processRunner.run('ip', ['-n', env.lab.switchNs, 'link', 'set', host.switchPort, 'up']);
    }
    // Healed: exactly one holder from within 1 s of the heal on (the returning holder may preempt: no
    // sample has two), and the API agrees.
    const back = Date.now();
    await settled();
    const fromHeal = checker.samplesBetween(back, Date.now());
    const stableFrom = settledFrom(fromHeal);
    report['heal'] = { oneHolderAfterMs: stableFrom === null ? null : stableFrom - back };
    expect(stableFrom).not.toBeNull();
    expect(stableFrom! - back).toBeLessThanOrEqual(1000);
    await apiCatchesUp(back, 10_000);
    // The cut-off holder released on losing its majority while the control plane could not hear it; that
    // release reaches the log once it is back: a late VipReleased when the record had moved on already, or
    // a VipMoved away from it when its release overtook nothing (hosts' reports race each other).
    const releasedByVictim = (e: { type: string; hostId?: string; data: Record<string, unknown> }) =>
      e.data['reason'] === 'QuorumLost' &&
      ((e.type === 'VipReleased' && e.hostId === victim) ||
        (e.type === 'VipMoved' && e.data['from'] === victim));
    await waitFor(
      'the cut-off holder to report its release',
      async () => (await env.api.events(env.name)).some((e) => e.seq > mark && releasedByVictim(e)),
      { timeoutMs: 30_000, intervalMs: 500 },
    ).catch(async (err: Error) => {
      const since = (await env.api.events(env.name)).filter((e) => e.seq > mark);
      throw new Error(`${err.message}; events since the cut: ${JSON.stringify(since)}`);
    });
  }, 90_000);

  it('control plane cut off from the whole site: the VIP stays put, and the API still names it after', async () => {
    const holder = await settled();
    const mark = Math.max(0, ...(await env.api.events(env.name)).map((e) => e.seq));
    const t0 = Date.now();
    await stopControlAccess(env.lab);
    try {
      await sleep(3000); // well past every election window: the site needs nothing from the control plane
    } finally {
      await startControlAccess(env.lab, env.targets);
    }
    const back = Date.now();
    // one holder, the same one, at every sample of the cut
    const during = checker.samplesBetween(t0, back);
    expect(during.length).toBeGreaterThan(40);
    expect(during.filter((x) => only(x) !== holder)).toEqual([]);
    const api = await apiCatchesUp(back, 5000);
    report['controlCut'] = { holder, samples: during.length, apiAfterMs: api.ms };
    expect(api.view.vipHolder).toBe(holder);
    expect(api.ms).toBeLessThanOrEqual(API_LAG_MAX_MS);
    const moves = (await env.api.events(env.name)).filter((e) => e.seq > mark && e.type === 'VipMoved');
    expect(moves).toEqual([]);
  }, 60_000);

  it('control plane cut off, holder agent SIGKILLed: the site moves the VIP alone; the API catches up after', async () => {
    const victim = await settled();
    const host = env.lab.hosts.find((h) => h.hostId === victim)!;
    await stopControlAccess(env.lab);
    let restored = false;
    try {
      await sleep(500);
      process.kill(host.agent!.pid, 'SIGKILL');
      const t0 = Date.now();
      const gain = await successorOf(victim, 5000);
      // The address outlives the killed agent by at most its lifetime; the successor claims after it expired.
      expect(gain.at - t0).toBeLessThanOrEqual(FAILOVER_MAX_MS);
      const survivors = env.lab.hosts.map((h, i) => ({ h, i }));
      const replies = await Promise.all(survivors.map(({ i }) => pingers[i]!.waitReplyAfter(gain.at, 3000)));
      report['sigkillCut'] = {
        victim,
        successor: only(gain),
        claimMs: gain.at - t0,
        failoverMs: Math.max(...replies) - t0,
      };
      expect(Math.max(...replies) - t0).toBeLessThanOrEqual(FAILOVER_MAX_MS);
      await sleep(1000);
      await startControlAccess(env.lab, env.targets);
      restored = true;
      const back = Date.now();
      delete host.agent;
      await startAgent(env.lab, host, { api: env.api, logLevel: 'info' });
      // Reported when it can again: the successor's claim was queued by its agent while the broker was away.
      const api = await apiCatchesUp(back, 30_000);
      report['sigkillCut'] = { ...(report['sigkillCut'] as object), apiCatchUpMs: api.ms };
      const events = await env.api.events(env.name);
      expect(events.some((e) => e.type === 'VipMoved' && e.data['to'] === only(gain))).toBe(true);
    } finally {
      if (!restored) await startControlAccess(env.lab, env.targets).catch(() => undefined);
    }
  }, 120_000);

  it('never two holders at any 50 ms sample of the whole run', () => {
    expect(checker.samples.length).toBeGreaterThan(50);
    expect(checker.violations).toEqual([]);
  });
});
