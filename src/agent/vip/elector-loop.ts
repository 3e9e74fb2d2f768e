// The VIP elector's glue loop: how election inputs, kernel reads and kernel actions interleave. This is
// the part the election's safety argument depends on (election.ts, "glue contract"), modelled on the
// seeded simulation that checks it (test/agent/vip/support/sim-world.ts):
//  - election inputs (a verified advert, a policy) are evaluated AT ONCE, also while an action runs, so
//    the votes they carry are counted on time; the actions they decide join one serial queue and are
//    applied one at a time, in the order decided (one ip -batch child, one arping at a time);
//  - a tick runs only when that queue is empty, on the kernel state after every earlier action was
//    applied: what the last action saw (each ends with a show of the VIP, kernel-lease.ts lastSight), or
//    a fresh read when that sight is older than KERNEL_RECHECK_MS or unknown (start, a failed action).
//    Inputs arriving during a read wait for it (a few ms), so no decision slips in between the read and
//    the onTick it feeds. Only this host's actions change its VIP (the kernel's expiry of a held one is
//    refused by the lease's renewal, kernel-lease.ts): the read every second is for anything else;
//  - the rules are evaluated at least every T: the periodic tick comes T after the last evaluation (an
//    input evaluates them on the same kernel state a tick would, as on a control-plane host adverts
//    arrive ~30 times a second, most ticks are not needed), and at least every KERNEL_RECHECK_MS; a host
//    that follows a holder ticks when the holder's advert ages past freshMs instead (advert-cadence.ts:
//    no rule can act before, and it holds nothing a late tick could keep too long);
//  - a probe's result is handed to onDad in the probe's own job, as soon as arping returns;
//  - the gratuitous ARP of a claim is sent outside the queue (it changes no kernel state, takes ~100 ms,
//    and a release decided meanwhile must not wait behind it);
//  - a claim, a release, a renewal refused as 'lapsed' (it deleted the address) or a failed renewal
//    brings a tick at once, which sees the kernel after it.
import type { Logger } from 'pino';
import type { Election, VipDecision } from './election.js';
import type { ElectorStats } from './elector-stats.js';
import type { VipLease } from './kernel-lease.js';
import { SerialQueue } from './serial-queue.js';
import type { TransitionReporter } from './transitions.js';

/** A repeat of the claim's gratuitous ARP, for neighbours that missed the first one. */
const REANNOUNCE_AFTER_MS = 500;
/** A tick reads the kernel itself when the last sight of it is older than this; ticks come at least this
 * often. */
export const KERNEL_RECHECK_MS = 1000;

export interface ElectorLoopDeps {
  election: Election;
  lease: VipLease;
  stats: ElectorStats;
  reporter: TransitionReporter;
  log: Logger;
  /** Monotonic clock (ms). */
  now: () => number;
  /** Sends advertFor(now) (a decision said advertNow). */
  advertise: () => void;
}

export class ElectorLoop {
  private readonly actions: SerialQueue;
  private tickWanted = false;
  private reading = false;
  private held: Array<() => void> = [];
  private stopped = false;
  private announcing = false;
  private dadError: string | undefined;
  private reannounce: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private tickDueAt = Number.POSITIVE_INFINITY;
  private tickDue: ((evaluatedAt: number) => number) | undefined;
  private lastTickAt = Number.NEGATIVE_INFINITY;
  /** The last kernel read (undefined before the first). */
  kernel: boolean | undefined;

  constructor(private readonly d: ElectorLoopDeps) {
    this.actions = new SerialQueue(
      (err) => d.log.error({ err }, 'vip elector action failed'),
      () => this.maybeTick(),
    );
  }

  get queued(): number {
    return this.actions.pending;
  }

  /** An election input: evaluated now, or right after the kernel read in flight; `then` runs after the
   * decision was acted on (its advert sent, its action queued). */
  input(evaluate: () => VipDecision, then?: () => void): void {
    if (this.stopped) return;
    if (this.reading) this.held.push(() => this.evaluateInput(evaluate, then));
    else this.evaluateInput(evaluate, then);
  }

  /**
   * Periodic ticks: `due(evaluatedAt)` says when the next is due after an evaluation at that time (a number:
   * T after it), and one comes at least every KERNEL_RECHECK_MS. Restarted when the policy changes T.
   */
  startTicks(due: number | ((evaluatedAt: number) => number)): void {
    this.stopTicks();
    if (this.stopped) return;
    this.tickDue = typeof due === 'number' ? (at) => at + due : due;
    this.armTick(this.d.now());
  }

  /** No periodic tick any more. */
  stopTicks(): void {
    clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    this.tickDue = undefined;
    this.tickDueAt = Number.POSITIVE_INFINITY;
  }

  /** A tick is due: it runs as soon as no action is queued or running. */
  requestTick(): void {
    this.tickWanted = true;
    this.maybeTick();
  }

  /** Resolves when no action and no tick is left (start waits for its first tick). */
  idle(): Promise<void> {
    return this.actions.idle();
  }

  /** Drops queued actions and waits for the one in progress; the kernel is left as it is. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.held = [];
    clearTimeout(this.reannounce);
    this.stopTicks();
    await this.actions.stop();
  }

  private maybeTick(): void {
    if (!this.tickWanted || this.reading || this.stopped || this.actions.busy) return;
    this.tickWanted = false;
    const seen = this.d.lease.lastSight;
    if (seen && this.d.now() - seen.at < KERNEL_RECHECK_MS) {
      this.d.stats.count('cachedTicks');
      this.tick(seen.present);
      return;
    }
    this.reading = true;
    this.actions.push(async () => {
      let decision: VipDecision | undefined;
      try {
        this.d.stats.count('kernelReads');
        decision = this.evaluateTick(await this.d.lease.read());
      } finally {
        this.reading = false;
        if (decision) this.decided(decision);
        const held = this.held;
        this.held = [];
        for (const run of held) run();
      }
    });
  }

  /** A tick on the kernel state the last action saw: nothing queued or running, so nothing can interleave. */
  private tick(kernel: boolean): void {
    this.decided(this.evaluateTick(kernel));
  }

  private evaluateTick(kernel: boolean): VipDecision {
    if (this.kernel === undefined) this.d.reporter.initial(kernel);
    this.kernel = kernel;
    const now = this.d.now();
    this.lastTickAt = now;
    const decision = this.d.election.onTick(now, kernel);
    this.evaluated();
    // a claim whose address went in although its job failed (the ARP, say) is held all the same
    if (kernel && !this.d.reporter.holding && this.d.election.status(now).holding) this.d.reporter.confirm();
    return decision;
  }

  private evaluateInput(evaluate: () => VipDecision, then?: () => void): void {
    const before = this.d.election.evaluatedAt;
    const decision = evaluate();
    if (this.d.election.evaluatedAt !== before) this.evaluated();
    this.decided(decision);
    then?.();
  }

  /** The rules were just evaluated: the next periodic tick is due after this evaluation, but no later
   * than KERNEL_RECHECK_MS after the last tick (and with it the kernel recheck). */
  private evaluated(): void {
    if (this.tickDue) this.armTick(this.d.now());
  }

  /** `recheck` false: the tick being requested now is the recheck (it sets lastTickAt when it runs). */
  private armTick(evaluatedAt: number, recheck = true): void {
    const due = this.tickDue;
    if (!due || this.stopped) return;
    const next = due(evaluatedAt);
    const at = recheck ? Math.min(next, this.lastTickAt + KERNEL_RECHECK_MS) : next;
    if (this.tickTimer && Math.abs(at - this.tickDueAt) < 1) return; // as good as armed already
    clearTimeout(this.tickTimer);
    this.tickDueAt = at;
    this.tickTimer = setTimeout(
      () => {
        this.tickTimer = undefined;
        this.armTick(this.d.now(), false); // the next one, should this tick wait or not evaluate
        this.requestTick();
      },
      Math.max(0, at - evaluatedAt),
    );
  }

  private decided(d: VipDecision): void {
    if (d.advertNow) this.d.advertise();
    if (d.action === 'none' || this.stopped) return;
    if (d.action !== 'renew' && this.d.log.isLevelEnabled('debug')) {
      const { votes, needed, holder } = this.d.election.status(this.d.now());
      this.d.log.debug(
        { action: d.action, reason: d.reason, votes, needed, holder, queued: this.actions.pending },
        'vip decision',
      );
    }
    this.actions.push(() => this.apply(d));
  }

  private async apply(d: VipDecision): Promise<void> {
    const { lease, stats, reporter, log } = this.d;
    switch (d.action) {
      case 'none':
        return;
      case 'probe': {
        stats.count('probe');
        let clean = false;
        try {
          clean = (await lease.probe()) === 'clean';
          this.dadError = undefined;
        } catch (err) {
          // retried every A while it fails (no overlay bridge yet, say): warn once per distinct error
          const message = err instanceof Error ? err.message : String(err);
          if (message !== this.dadError) log.warn({ err }, 'vip DAD failed; counted as taken');
          this.dadError = message;
        }
        if (!clean) stats.count('dadTaken');
        if (!this.stopped) this.decided(this.d.election.onDad(clean, this.d.now()));
        return;
      }
      case 'claim':
        stats.count('claim');
        reporter.claiming(d.reason ?? 'Initial');
        try {
          await lease.claim({ announce: false });
          reporter.confirm();
          this.announce();
          clearTimeout(this.reannounce);
          this.reannounce = setTimeout(() => this.announce(), REANNOUNCE_AFTER_MS);
        } catch (err) {
          stats.count('failed');
          log.error({ err }, 'vip claim failed');
        }
        this.requestTick();
        return;
      case 'renew':
        stats.count('renew');
        try {
          if ((await lease.renew()) === 'lapsed') {
            stats.count('lapsed');
            this.requestTick();
          }
        } catch (err) {
          stats.count('failed');
          log.error({ err }, 'vip renew failed');
          this.requestTick();
        }
        return;
      case 'release':
        stats.count('release');
        clearTimeout(this.reannounce);
        try {
          await lease.release();
          reporter.report(false, d.reason ?? 'QuorumLost');
        } catch (err) {
          stats.count('failed');
          log.error({ err }, 'vip release failed; a later tick retries');
        }
        this.requestTick();
        return;
    }
  }

  /** Gratuitous ARP while this host holds the VIP; one at a time, never in the action queue. */
  private announce(): void {
    if (this.announcing || this.stopped || !this.d.reporter.holding) return;
    this.announcing = true;
    this.d.lease
      .announce()
      .catch((err) => this.d.log.warn({ err }, 'vip gratuitous ARP failed'))
      .finally(() => {
        this.announcing = false;
      });
  }
}
