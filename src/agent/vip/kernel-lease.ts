// The VIP as a kernel lease on this host: a /32 on the overlay device with a short lifetime, kept only
// by renewing it. The kernel is the truth (read()); a dead agent's address goes away by itself within
// ~lifetime (measured 1.00-1.18 s for 1 s, test/agent/vip/kernel-lease.test.ts).
//
// Renewals go through one persistent `ip -batch` child (ip-batch.ts): ~0.1 ms CPU each instead of ~5.7 ms
// for an exec, which matters at 5-10 renewals a second.
//
// A late renewal is refused: for IPv4 `ip addr change` re-creates an address that has already expired,
// and by then another host may hold the VIP. So renew() only extends a lease whose previous claim or
// renewal was sent at most maxRenewGapMs ago (default half the lifetime; the kernel never expired an
// address sooner than ~0.8 s after a 1 s renewal); otherwise it deletes the address and says 'lapsed',
// and the caller must claim again (DAD first). The send time is used, which is never later than the
// kernel's own timestamp, so the measured gap is never shorter than the real one.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { ErrorType } from '../../domain/errors.js';
import { HostError } from '../../domain/host-error.js';
import {
  addrDelArgs,
  addrLifetimeArgs,
  addrListed,
  addrShowArgs,
  arpingDad,
  arpingUnsolicited,
  type BatchReply,
  CommandError,
  processRunner,
  IpBatch,
  type Runner,
} from '../../net/index.js';
import { VIP_LIFETIME_S } from './policy.js';

export type ProbeResult = 'clean' | 'taken';
export type RenewResult = 'renewed' | 'lapsed';

/** What a request saw of the VIP in the kernel (each one ends with a show) and when it was sent. */
export interface KernelSight {
  present: boolean;
  /** Monotonic (ms): when the request was written, so never later than the show it ran. */
  at: number;
}

export interface VipLeaseOptions {
  vip: string;
  /** The overlay device that carries the VIP: the bridge (scbr-100), as assignVip does. */
  dev: string;
  /** Tests: the network namespace of the host. */
  netns?: string;
  /** Runs arping (DAD, gratuitous ARP). */
  runner?: Runner;
  /** valid_lft = preferred_lft, in seconds. Default 1. */
  lifetimeS?: number;
  /** The latest a renewal may follow the previous one (ms). Default lifetime / 2. */
  maxRenewGapMs?: number;
  /** How long DAD waits for an answer (ms). Default 100. */
  dadDeadlineMs?: number;
  /** Monotonic clock (ms). */
  now?: () => number;
  log?: Logger;
}

const PREFIX = 32;
/** ip's messages when `addr del` finds nothing to delete (a missing device holds no VIP either). */
const NOT_FOUND = /Address not found|Cannot assign requested address|Cannot find device/;

export class VipLease {
  private readonly batch: IpBatch;
  private readonly runner: Runner;
  private readonly lifetimeS: number;
  private readonly maxRenewGapMs: number;
  private readonly now: () => number;
  /** When the last claim or renewal that succeeded was sent; undefined while not holding. */
  private sentAt: number | undefined;
  /** Bumped by release: a renewal that was in flight meanwhile must not mark the lease held again. */
  private generation = 0;
  private probeMs: number | undefined;
  private sight: KernelSight | undefined;
  /** The argv of each request, validated once: building them (zod checks) cost more CPU than the
   * renewal itself in the agent's --jitless node, 5-10 times a second. */
  private readonly argv: Record<'replace' | 'change' | 'del' | 'show', string[]>;

  constructor(private readonly opts: VipLeaseOptions) {
    this.batch = new IpBatch(opts.netns);
    this.runner = opts.runner ?? processRunner;
    this.lifetimeS = opts.lifetimeS ?? VIP_LIFETIME_S;
    this.maxRenewGapMs = opts.maxRenewGapMs ?? (this.lifetimeS * 1000) / 2;
    this.now = opts.now ?? (() => performance.now());
    const lifetime = (verb: 'replace' | 'change') =>
      addrLifetimeArgs(verb, opts.dev, opts.vip, PREFIX, this.lifetimeS);
    this.argv = {
      replace: lifetime('replace'),
      change: lifetime('change'),
      del: addrDelArgs(opts.dev, opts.vip, PREFIX),
      show: addrShowArgs(opts.dev, opts.vip, PREFIX),
    };
  }

  /** Wall time of the last DAD probe (ms), for metrics. */
  get lastProbeMs(): number | undefined {
    return this.probeMs;
  }

  /**
   * The kernel state the last request saw (read, claim, renew and release each end with a show of the
   * VIP): the truth after the last action applied, unless something outside this object changed it
   * since. undefined before the first request and after one failed (its effect is unknown).
   */
  get lastSight(): KernelSight | undefined {
    return this.sight;
  }

  /** Is the VIP on the device now (kernel truth)? false when the device does not exist. */
  async read(): Promise<boolean> {
    return this.present(await this.request('read', [this.argv.show]));
  }

  /** DAD: does any host on the overlay answer for the VIP? */
  async probe(): Promise<ProbeResult> {
    try {
      const res = await arpingDad(
        this.runner,
        this.opts.dev,
        this.opts.vip,
        this.opts.dadDeadlineMs ?? 100,
        this.opts.netns,
      );
      this.probeMs = res.elapsedMs;
      return res.answered ? 'taken' : 'clean';
    } catch (err) {
      throw this.hostError('probe', err);
    }
  }

  /**
   * Puts the VIP on the device with a fresh lifetime (ip addr replace: idempotent) and announces it with a
   * gratuitous ARP so peers' neighbour entries move here at once. Resolves after both, or, with
   * announce: false, once the address is in place (the elector sends the ARP itself, outside its serial
   * action queue: arping takes ~100 ms, and a release decided meanwhile must not wait for it).
   */
  async claim(opts: { announce?: boolean } = {}): Promise<void> {
    const t = this.now();
    const generation = this.generation;
    const reply = await this.request('claim', [this.argv.replace, this.argv.show]);
    this.check('claim', reply);
    if (!this.present(reply))
      throw new HostError(
        ErrorType.HostCommandFailed,
        `vip claim on ${this.opts.dev}: not present after add`,
      );
    if (generation === this.generation) this.sentAt = t;
    if (opts.announce !== false) await this.announce();
  }

  /** Gratuitous ARP for the VIP (claim sends one; a repeat heals peers that missed it). */
  async announce(): Promise<void> {
    try {
      await arpingUnsolicited(this.runner, this.opts.dev, this.opts.vip, this.opts.netns);
    } catch (err) {
      throw this.hostError('announce', err);
    }
  }

  /**
   * Restarts the lifetime of a lease this object holds. 'lapsed' when it holds none or the previous
   * claim/renewal is older than maxRenewGapMs: then the address has been deleted (it may have expired
   * and another host may hold the VIP) and only claim() takes it again.
   */
  async renew(): Promise<RenewResult> {
    const t = this.now();
    if (this.sentAt === undefined || t - this.sentAt > this.maxRenewGapMs) {
      if (this.sentAt !== undefined)
        this.opts.log?.warn({ vip: this.opts.vip, gapMs: Math.round(t - this.sentAt) }, 'vip lease lapsed');
      await this.release();
      return 'lapsed';
    }
    const generation = this.generation;
    const reply = await this.request('renew', [this.argv.change, this.argv.show]);
    this.check('renew', reply);
    if (generation !== this.generation) return 'lapsed';
    this.sentAt = t;
    return 'renewed';
  }

  /** ip addr del: true when the VIP was there. Safe at any time (only this host's copy goes). */
  async release(): Promise<boolean> {
    this.sentAt = undefined;
    this.generation++;
    const reply = await this.request('release', [this.argv.del, this.argv.show]);
    const failed = reply.failures.find((f) => f.index === 0);
    if (failed && !NOT_FOUND.test(failed.message))
      throw new HostError(ErrorType.HostCommandFailed, `vip release on ${this.opts.dev}: ${failed.message}`);
    if (this.present(reply))
      throw new HostError(ErrorType.HostCommandFailed, `vip release on ${this.opts.dev}: still present`);
    return !failed;
  }

  /** Stops the ip child (the address is left as it is: release() first to drop it). */
  close(): Promise<void> {
    return this.batch.close();
  }

  /** The reply's closing show: is the VIP listed (a failed show, as a missing device, lists nothing)? */
  private present(reply: BatchReply): boolean {
    return reply.output !== null && addrListed(reply.output, this.opts.vip, PREFIX);
  }

  private async request(op: string, commands: string[][]): Promise<BatchReply> {
    const at = this.now();
    this.sight = undefined;
    try {
      const reply = await this.batch.request(commands);
      this.sight = { present: this.present(reply), at };
      return reply;
    } catch (err) {
      throw this.hostError(op, err);
    }
  }

  /** The first command of a request failed: the kernel refused the change. */
  private check(op: string, reply: BatchReply): void {
    const failed = reply.failures.find((f) => f.index === 0);
    if (failed)
      throw new HostError(ErrorType.HostCommandFailed, `vip ${op} on ${this.opts.dev}: ${failed.message}`);
  }

  private hostError(op: string, err: unknown): HostError {
    const details = err instanceof CommandError ? [{ argv: err.argv, stderr: err.stderr }] : [];
    const message = err instanceof Error ? err.message : String(err);
    return new HostError(
      ErrorType.HostCommandFailed,
      `vip ${op} on ${this.opts.dev}: ${message}`,
      false,
      details,
    );
  }
}
