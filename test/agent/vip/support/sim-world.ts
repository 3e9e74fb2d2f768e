// A deterministic discrete-event world of N control-plane hosts running the REAL election.ts, with the
// agent's glue emulated (src/agent/vip/elector-loop.ts, elector.ts): ticks and periodic adverts when
// advert-cadence.ts says (a tick T after the last evaluation, an advert every A; a follower answers each
// advert of its holder and ticks when it goes quiet), a tick at least every KERNEL_RECHECK_MS, an advert
// at once when a decision says so, every action (advert
// send, advert processing, DAD, ip addr add/replace/del) delayed 0–maxDelay ms, adverts lost at random,
// directed links that faults switch, and the kernel model (sim-core.ts). As the election's contract asks,
// a host applies its kernel actions one at a time in order and ticks only after the actions it started
// (ticks that fall meanwhile run when they are done), on the kernel state its last action saw, or read
// afresh when that sight is older than KERNEL_RECHECK_MS; a claim or release brings a tick; a renewal
// more than the lease's maxRenewGap after the previous one is refused and deletes the address, as
// kernel-lease.ts does.
import { advertSchema, type VipAdvert } from '../../../../src/agent/vip/advert.js';
import { createElection, type Election, type VipDecision } from '../../../../src/agent/vip/election.js';
import { answers, dropsRepeat, nextAdvertAt, nextTickAt } from '../../../../src/agent/vip/advert-cadence.js';
import { armAdvert, armTimer } from './sim-glue.js';
import { KERNEL_RECHECK_MS } from '../../../../src/agent/vip/elector-loop.js';
import { type VipPolicy, windowsOf } from '../../../../src/agent/vip/policy.js';
import { EventQueue, Rng, SimKernel } from './sim-core.js';
import {
  freshGlue,
  type KernelEvent,
  MAX_RENEW_GAP_MS,
  type SimHost,
  type WorldOptions,
} from './sim-host.js';

export class World {
  now = 0;
  readonly rng: Rng;
  readonly hosts: SimHost[];
  policy: VipPolicy;
  readonly kernelEvents: KernelEvent[] = [];
  readonly decisions: { at: number; host: number; decision: VipDecision }[] = [];
  /** Called after every kernel add (the only moment a second holder could appear). */
  onKernelAdd: (host: number) => void = () => undefined;
  private readonly queue = new EventQueue();
  private readonly up: boolean[][];

  constructor(readonly opts: WorldOptions) {
    this.rng = new Rng(opts.seed);
    const ids = Array.from({ length: opts.n }, (_, i) => `h${i}`);
    this.policy = {
      clusterName: 'site',
      vip: '100.64.192.1',
      policyVersion: 1,
      advertIntervalMs: opts.advertIntervalMs ?? 100,
      voters: ids,
      // Few distinct priorities: ties (broken by host id) are common.
      eligible: ids.map((hostId) => ({ hostId, priority: this.rng.int(0, 2) })),
    };
    this.hosts = ids.map((id, index) => ({
      index,
      id,
      kernel: new SimKernel(this.rng),
      election: undefined,
      run: 0,
      boot: 0,
      starts: 0,
      busyUntil: 0,
      pending: 0,
      glue: freshGlue(),
    }));
    this.up = ids.map(() => ids.map(() => true));
  }

  holders(at = this.now): number[] {
    return this.hosts.filter((h) => h.kernel.has(at)).map((h) => h.index);
  }

  linkUp(from: number, to: number): boolean {
    return this.up[from]![to]!;
  }

  setLink(from: number, to: number, isUp: boolean): void {
    if (from !== to) this.up[from]![to] = isUp;
  }

  /** Both directions between a and b. */
  setPair(a: number, b: number, isUp: boolean): void {
    this.setLink(a, b, isUp);
    this.setLink(b, a, isUp);
  }

  healAll(): void {
    for (let a = 0; a < this.hosts.length; a++)
      for (let b = 0; b < this.hosts.length; b++) this.setLink(a, b, true);
  }

  at(t: number, run: () => void): void {
    this.queue.schedule(t, run);
  }

  /** Runs every event up to `until`; `onStep` sees the world at every multiple of stepMs. */
  runUntil(until: number, onStep?: (t: number) => void, stepMs = 10): void {
    let nextStep = Math.ceil(this.now / stepMs) * stepMs;
    while (nextStep <= until || this.queue.peek() <= until) {
      if (this.queue.peek() <= nextStep && this.queue.peek() <= until) {
        const e = this.queue.pop()!;
        this.now = e.at;
        e.run();
        continue;
      }
      if (nextStep > until) break;
      this.now = nextStep;
      onStep?.(nextStep);
      nextStep += stepMs;
    }
    this.now = until;
  }

  /** Starts (or restarts) a host's agent: fresh epoch, hold-down, its own tick and advert phases. */
  startAgent(i: number): void {
    const h = this.hosts[i]!;
    h.run += 1;
    h.starts += 1;
    h.glue = freshGlue();
    const epoch = 1_000_000 + this.now * 10 + h.starts;
    h.election = createElection({ hostId: h.id, epoch }, this.policy, this.now);
    const a = this.policy.advertIntervalMs;
    // its own phases: the first tick and advert come at random within T and A
    armTimer(this, h, this.now + this.rng.int(0, a / 2 - 1));
    armAdvert(this, h, this.now + this.rng.int(0, a - 1));
  }

  /** requestTick: after the actions already started, on the last sight of the kernel or a fresh read. */
  tick(h: SimHost, run: number): void {
    const e = this.alive(h, run);
    if (!e) return;
    if (h.pending > 0) {
      this.at(h.busyUntil, () => this.tick(h, run));
      return;
    }
    const g = h.glue;
    if (!g.sight || this.now - g.sight.at >= KERNEL_RECHECK_MS)
      g.sight = { present: h.kernel.has(this.now), at: this.now };
    g.lastTickAt = this.now;
    const d = e.onTick(this.now, g.sight.present);
    this.evaluated(h);
    this.apply(h, d);
  }

  /** An input (advert, policy): evaluated at once; when it reached the rules, the tick timer moves on. */
  private input(h: SimHost, e: Election, evaluate: () => VipDecision): void {
    const before = e.evaluatedAt;
    const d = evaluate();
    if (e.evaluatedAt !== before) this.evaluated(h);
    this.apply(h, d);
  }

  private evaluated(h: SimHost): void {
    const e = h.election;
    if (!e) return;
    const due = nextTickAt(this.now, e.follows(this.now), windowsOf(this.policy));
    armTimer(this, h, Math.min(due, h.glue.lastTickAt + KERNEL_RECHECK_MS));
  }

  /** The control plane's new policy reaches host i now (a restarted agent starts with the latest). */
  deliverPolicy(i: number, policy: VipPolicy): void {
    const h = this.hosts[i]!;
    const e = h.election;
    if (e) this.input(h, e, () => e.setPolicy(policy, this.now));
  }

  /** SIGKILL: the agent stops acting at once; commands it already started still complete. */
  killAgent(i: number): void {
    const h = this.hosts[i]!;
    h.run += 1;
    h.election = undefined;
  }

  /** Power loss: agent gone, kernel empty, nothing in flight survives. */
  powerOff(i: number): void {
    const h = this.hosts[i]!;
    this.killAgent(i);
    h.boot += 1;
    h.busyUntil = this.now;
    h.pending = 0;
    h.kernel.del();
    this.kernelEvents.push({ at: this.now, host: i, kind: 'del' });
  }

  private delay(): number {
    return this.rng.int(0, this.opts.maxDelayMs);
  }

  alive(h: SimHost, run: number): Election | undefined {
    return h.run === run ? h.election : undefined;
  }

  private apply(h: SimHost, d: VipDecision): void {
    if (d.action !== 'none') this.decisions.push({ at: this.now, host: h.index, decision: d });
    if (d.advertNow) this.send(h);
    const run = h.run;
    const boot = h.boot;
    /** fn(start) runs when the action is applied; start: when its job began (after the earlier ones). */
    const later = (fn: (start: number) => void) => {
      const start = Math.max(this.now, h.busyUntil);
      const t = start + this.delay();
      h.busyUntil = t;
      h.pending += 1;
      this.at(t, () => {
        if (h.boot !== boot) return;
        h.pending -= 1;
        fn(start);
      });
    };
    // The kernel change, then what the deciding run's lease saw and when it last renewed (a killed
    // run's commands still land, checked by its own lease); claim, release and a refused renewal bring a
    // tick (if that run is still alive).
    const g = h.glue;
    const lease = (present: boolean, start: number, tick: boolean) => {
      h.kernel[present ? 'addOrRenew' : 'del'](this.now);
      this.kernelEvents.push({ at: this.now, host: h.index, kind: present ? 'add' : 'del' });
      if (present) this.onKernelAdd(h.index);
      g.sight = { present, at: start };
      g.leaseSentAt = present ? start : undefined;
      if (tick) this.tick(h, run);
    };
    switch (d.action) {
      case 'claim':
        later((start) => lease(true, start, true));
        break;
      case 'renew':
        later((start) => {
          const last = g.leaseSentAt;
          // refused as too late: the lease deletes the address ('lapsed')
          if (last === undefined || start - last > MAX_RENEW_GAP_MS) lease(false, start, true);
          else lease(true, start, false);
        });
        break;
      case 'release':
        if (this.opts.dropReleases) break;
        later((start) => lease(false, start, true));
        break;
      case 'probe':
        later(() => {
          // DAD: an ARP probe for the VIP answered by any host whose kernel holds it, both ways reachable.
          const clean = !this.hosts.some(
            (o) =>
              o !== h &&
              o.kernel.has(this.now) &&
              this.linkUp(h.index, o.index) &&
              this.linkUp(o.index, h.index),
          );
          const e = this.alive(h, run);
          if (e) this.apply(h, e.onDad(clean, this.now));
        });
        break;
      case 'none':
        break;
    }
  }

  /** One advert: built now, on the wire after the sender's delay, processed after each receiver's. */
  send(h: SimHost): void {
    const e = h.election;
    if (!e) return;
    // Through the wire schema, as the codec would: the election must only ever produce valid adverts.
    const wire: VipAdvert = advertSchema.parse(JSON.parse(JSON.stringify(e.advertFor(this.now))));
    h.glue.lastSentAt = this.now;
    armAdvert(this, h, nextAdvertAt(this.now, e.follows(this.now), windowsOf(this.policy)));
    const boot = h.boot;
    this.at(this.now + this.delay(), () => {
      if (h.boot !== boot) return;
      for (const r of this.hosts) {
        if (r === h || !this.linkUp(h.index, r.index) || this.rng.chance(this.opts.loss)) continue;
        const run = r.run;
        this.at(this.now + this.delay(), () => {
          const re = this.alive(r, run);
          if (!re) return;
          // elector.ts onDatagram: a follower drops a repeat unverified, answers its holder at once
          const w = windowsOf(this.policy);
          const prev = r.glue.accepted.get(wire.hostId);
          if (dropsRepeat(wire, prev, re.follows(this.now), this.now, w)) return;
          r.glue.accepted.set(wire.hostId, { advert: wire, at: this.now });
          this.input(r, re, () => re.onAdvert(wire, this.now));
          if (wire.holding && answers(wire.hostId, re.follows(this.now), r.glue.lastSentAt, this.now, w))
            this.send(r);
        });
      }
    });
  }
}
