// The elector's glue loop keeps the election's contract (elector-loop.ts), checked with a scripted
// election and a lease whose operations take real (short) time: actions never overlap and apply in the
// order decided; a tick reads the kernel only when no action is queued or running; inputs that arrive
// during the read are evaluated after the onTick it feeds; onDad follows its probe at once; the claim's
// ARP runs outside the queue; a lapsed or failed renewal brings a tick; stop drops what has not started.
// With the lease's sight of the kernel (what its last action saw), a tick reads only when that sight is
// unknown or KERNEL_RECHECK_MS old; periodic ticks come T after the last evaluation, and at least every
// KERNEL_RECHECK_MS (fake timers).
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Election, VipDecision } from '../../../src/agent/vip/election.js';
import { ElectorLoop, KERNEL_RECHECK_MS } from '../../../src/agent/vip/elector-loop.js';
import { ElectorStats } from '../../../src/agent/vip/elector-stats.js';
import type { VipLease } from '../../../src/agent/vip/kernel-lease.js';
import { TransitionReporter, type VipTransition } from '../../../src/agent/vip/transitions.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NONE: VipDecision = { action: 'none', advertNow: false };
const act = (action: VipDecision['action'], reason?: VipDecision['reason']): VipDecision => ({
  action,
  advertNow: false,
  ...(reason ? { reason } : {}),
});

interface RigOptions {
  readMs?: number;
  opMs?: number;
  renew?: 'renewed' | 'lapsed' | 'throw';
  /** The lease keeps its sight of the kernel, as kernel-lease.ts does (else: always unknown). */
  sight?: boolean;
}

function rig(opts: RigOptions = {}) {
  const events: string[] = [];
  let kernel = false;
  let running = 0;
  let maxRunning = 0;
  let sight: { present: boolean; at: number } | undefined;
  const op = async <T>(name: string, ms: number, fn: () => T): Promise<T> => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    events.push(`${name}:start`);
    const at = performance.now();
    sight = undefined;
    await sleep(ms);
    try {
      const v = fn();
      if (opts.sight) sight = { present: kernel, at };
      return v;
    } finally {
      events.push(`${name}:end`);
      running--;
    }
  };
  const opMs = opts.opMs ?? 20;
  const lease = {
    read: () => op('read', opts.readMs ?? 5, () => kernel),
    probe: () => op('probe', opMs, () => 'clean' as const),
    claim: (o?: { announce?: boolean }) =>
      op(`claim(announce=${o?.announce !== false})`, opMs, () => {
        kernel = true;
      }),
    renew: () =>
      op('renew', opMs, () => {
        if (opts.renew === 'throw') throw new Error('ip batch timed out');
        return opts.renew ?? 'renewed';
      }),
    release: () =>
      op('release', opMs, () => {
        kernel = false;
        return true;
      }),
    // not an action: counted apart from the queue's concurrency
    announce: async () => {
      events.push('announce');
    },
    get lastSight() {
      return sight;
    },
  } as unknown as VipLease;
  const script: VipDecision[] = [];
  let holding = false;
  let evaluatedAt = Number.NEGATIVE_INFINITY;
  const next = (call: string) => {
    events.push(call);
    evaluatedAt = performance.now();
    const d = script.shift() ?? NONE;
    if (d.action === 'claim') holding = true;
    if (d.action === 'release') holding = false;
    return d;
  };
  const election = {
    onAdvert: () => next('onAdvert'),
    onTick: (_: number, k: boolean) => next(`onTick(${k})`),
    onDad: (clean: boolean) => next(`onDad(${clean})`),
    setPolicy: () => next('setPolicy'),
    advertFor: () => {
      throw new Error('the loop never builds adverts');
    },
    status: () => ({ holding, candidate: true, votes: 2, needed: 2, policyVersion: 1 }),
    get evaluatedAt() {
      return evaluatedAt;
    },
  } as unknown as Election;
  const transitions: VipTransition[] = [];
  const log = pino({ level: 'silent' });
  const loop = new ElectorLoop({
    election,
    lease,
    stats: new ElectorStats(),
    reporter: new TransitionReporter(log, (t) => transitions.push(t)),
    log,
    now: () => performance.now(),
    advertise: () => events.push('advert'),
  });
  return { loop, election, events, script, transitions, maxRunning: () => maxRunning };
}

const count = (events: string[], prefix: string) => events.filter((e) => e.startsWith(prefix)).length;

describe('ElectorLoop (the glue contract)', () => {
  it('actions decided while others run never overlap and apply in the order decided', async () => {
    const r = rig();
    r.loop.input(() => ({ ...act('release', 'QuorumLost'), advertNow: true }));
    r.loop.input(() => act('probe'));
    r.loop.input(() => act('renew'));
    await r.loop.idle();
    const starts = r.events.filter((e) => e.endsWith(':start') && !e.startsWith('read'));
    expect(starts).toEqual(['release:start', 'probe:start', 'renew:start']);
    expect(r.maxRunning()).toBe(1);
    expect(r.events[0]).toBe('advert'); // advertNow goes out at the decision, not after the action
  });

  it('a tick reads the kernel only after every action is done, also one decided after the tick was due', async () => {
    const r = rig({ opMs: 30 });
    r.script.push(act('claim', 'Initial')); // onDad's decision: queued after the tick became due
    r.loop.input(() => act('probe'));
    r.loop.requestTick();
    await r.loop.idle();
    const e = r.events;
    expect(e.indexOf('read:start')).toBeGreaterThan(e.indexOf('claim(announce=false):end'));
    expect(e[e.indexOf('read:end') + 1]).toBe('onTick(true)');
  });

  it('an input that arrives during the read is evaluated after the onTick it feeds', async () => {
    const r = rig({ readMs: 40 });
    r.loop.requestTick();
    await sleep(10); // the read is in flight
    expect(r.events).toEqual(['read:start']);
    r.loop.input(() => {
      r.events.push('input');
      return act('release', 'Outranked');
    });
    expect(r.events).toEqual(['read:start']); // held
    await r.loop.idle();
    expect(r.events.slice(0, 5)).toEqual([
      'read:start',
      'read:end',
      'onTick(false)',
      'input',
      'release:start',
    ]);
  });

  it('probe → onDad at once → claim without its ARP in the queue; the ARP follows; the gain is reported', async () => {
    const r = rig();
    r.script.push(act('claim', 'HolderLost'));
    r.loop.input(() => act('probe'));
    await r.loop.idle();
    const e = r.events;
    expect(e.slice(0, 4)).toEqual(['probe:start', 'probe:end', 'onDad(true)', 'claim(announce=false):start']);
    expect(e.indexOf('announce')).toBeGreaterThan(e.indexOf('claim(announce=false):end'));
    expect(r.transitions).toMatchObject([{ holding: true, reason: 'HolderLost' }]);
    expect(e).toContain('onTick(true)'); // a tick read the claimed address right after
  });

  it('a lapsed renewal brings a tick that reads the address gone; release reports the loss', async () => {
    const r = rig({ renew: 'lapsed' });
    r.loop.input(() => act('renew'));
    await r.loop.idle();
    expect(r.events).toContain('onTick(false)');
    r.script.push(act('claim', 'Initial'));
    r.loop.input(() => act('probe'));
    await r.loop.idle();
    r.loop.input(() => act('release', 'LeaseExpired'));
    await r.loop.idle();
    expect(r.transitions.map((t) => [t.holding, t.reason])).toEqual([
      [true, 'Initial'],
      [false, 'LeaseExpired'],
    ]);
  });

  it('stop drops queued actions, waits for the running one, and takes no more input', async () => {
    const r = rig({ opMs: 30 });
    r.loop.input(() => act('renew'));
    r.loop.input(() => act('release', 'QuorumLost'));
    await sleep(5);
    await r.loop.stop();
    r.loop.input(() => act('probe'));
    await sleep(50);
    expect(r.events.filter((e) => e.endsWith(':start'))).toEqual(['renew:start']);
    expect(r.events).toContain('renew:end');
  });

  it("a tick uses the last action's sight of the kernel; an unknown or stale sight is read again", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const r = rig({ sight: true });
    r.loop.requestTick(); // nothing seen yet: read
    await vi.advanceTimersByTimeAsync(50);
    r.script.push(act('claim', 'Initial'));
    r.loop.input(() => act('probe'));
    await vi.advanceTimersByTimeAsync(100);
    expect(count(r.events, 'read:start')).toBe(1);
    const noArp = r.events.filter((e) => e !== 'announce');
    expect(noArp.slice(-2)).toEqual(['claim(announce=false):end', 'onTick(true)']); // the claim's own show
    r.loop.requestTick();
    expect(r.events.at(-1)).toBe('onTick(true)'); // at once: nothing to wait for
    await vi.advanceTimersByTimeAsync(KERNEL_RECHECK_MS);
    r.loop.requestTick(); // the claim's sight is a second old now
    await vi.advanceTimersByTimeAsync(50);
    expect(count(r.events, 'read:start')).toBe(2);
    expect(r.events.at(-1)).toBe('onTick(true)');
  });

  it('a failed renewal forgets the sight and brings a tick that reads the kernel', async () => {
    const r = rig({ sight: true, renew: 'throw' });
    r.loop.input(() => act('renew'));
    await r.loop.idle();
    expect(r.events).toEqual(['renew:start', 'renew:end', 'read:start', 'read:end', 'onTick(false)']);
  });

  it('periodic ticks come T after the last evaluation, and at least every KERNEL_RECHECK_MS', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const r = rig({ sight: true });
    r.loop.requestTick();
    await vi.advanceTimersByTimeAsync(10);
    r.loop.startTicks(50);
    const ticks = () => count(r.events, 'onTick');
    const t0 = ticks();
    await vi.advanceTimersByTimeAsync(500); // no input: a tick every T
    expect(ticks() - t0).toBe(10);
    // an evaluating input every 20 ms (adverts): the tick timer keeps moving on, except once a second
    const t1 = ticks();
    for (let i = 0; i < 110; i++) {
      r.loop.input(() => r.election.onAdvert({} as never, performance.now()));
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(ticks() - t1).toBe(2); // 2.2 s of input: the forced ticks only (~1.05 s apart)
    expect(count(r.events, 'read:start')).toBe(3); // the first read, then each forced tick's recheck
    // an input that does not reach the rules (evaluatedAt unchanged) does not hold ticks back
    const t2 = ticks();
    for (let i = 0; i < 10; i++) {
      r.loop.input(() => NONE);
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(ticks() - t2).toBe(4);
    r.loop.stopTicks();
    const t3 = ticks();
    await vi.advanceTimersByTimeAsync(500);
    expect(ticks()).toBe(t3);
  });
});

afterEach(() => {
  vi.useRealTimers();
});
