// The VIP elector of one host: the pure election (election.ts) wired to the kernel lease
// (kernel-lease.ts), the advert socket (advert-socket.ts) and two timers (the next periodic advert and the
// next tick, when advert-cadence.ts says: an advert every A and a tick T = A/2 after the last evaluation,
// or, following a holder, an answer to each of its adverts and ticks only when it goes quiet). How inputs,
// kernel reads and actions interleave — the glue contract the election's safety rests on — is
// elector-loop.ts. Here: adverts are verified on arrival (signature with the sender's own key, replay,
// budget) and only accepted ones reach the election; the first tick reads the kernel before the socket
// opens, so before the first advert goes out; own adverts are signed with the host's key.
import type { KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { VIP_ADVERT_PORT } from '../../domain/constants.js';
import type { Runner } from '../../net/index.js';
import { type BeaconPrivateKey, signingKey } from '../beacon/keys.js';
import { encodeAdvert, type VipAdvert } from './advert.js';
import { type Accepted, answers, dropsRepeat, nextAdvertAt, nextTickAt } from './advert-cadence.js';
import { type AdvertSocket, openAdvertSocket } from './advert-socket.js';
import { AdvertVerifier, advertVerifyLimits } from './advert-verifier.js';
import { createElection, type Election, type ElectionStatus } from './election.js';
import { ElectorLoop } from './elector-loop.js';
import { ElectorStats, type VipElectorCounters } from './elector-stats.js';
import { VipLease, type VipLeaseOptions } from './kernel-lease.js';
import {
  type VipPolicy,
  type VipPolicyInput,
  type VipWindows,
  vipPolicySchema,
  windowsOf,
} from './policy.js';
import { TransitionReporter, type VipTransition } from './transitions.js';

export type { VipTransition } from './transitions.js';

export interface VipElectorOptions {
  hostId: string;
  /** Per agent start, larger than every earlier one (beacon/epoch.ts nextBootEpoch). */
  epoch: number;
  /** The host's own identity key (Ed25519 or P-256); adverts are signed with it. */
  privateKey: BeaconPrivateKey;
  policy: VipPolicyInput;
  /** The voters' hostId → Peer.publicKey (SPKI DER base64). */
  peerKeys: Iterable<readonly [string, string]>;
  underlayIface: string;
  /** The overlay bridge that carries the VIP (scbr-<vni>), not the vxlan device. */
  overlayDev: string;
  vip: string;
  /** Kernel actions only (ip, arping): the advert socket is always this process's own namespace. */
  netns?: string;
  runner?: Runner;
  log: Logger;
  /** This host gained or lost the VIP (kernel truth, after the action was applied). */
  onTransition?: (t: VipTransition) => void;
  /** Tests: another UDP port than VIP_ADVERT_PORT. */
  advertPort?: number;
  /** Tests: lease tuning (lifetime, DAD deadline). */
  lease?: Pick<VipLeaseOptions, 'lifetimeS' | 'dadDeadlineMs'>;
}

export interface VipElectorStatus extends ElectionStatus {
  /** The last kernel read (undefined before the first). */
  kernelHolding: boolean | undefined;
  /** What onTransition last said. */
  reportedHolding: boolean;
  counters: VipElectorCounters;
  /** Actions waiting behind the one in progress. */
  queued: number;
}

export interface VipElector {
  /** Validated at once (throws); an older policyVersion is ignored. */
  setPolicy(policy: VipPolicyInput): void;
  setPeerKeys(keys: Iterable<readonly [string, string]>): void;
  status(): VipElectorStatus;
  /** release: false leaves the kernel address to its lifetime (as SIGKILL would); true deletes it. */
  stop(opts: { release: boolean }): Promise<void>;
}

export async function startVipElector(opts: VipElectorOptions): Promise<VipElector> {
  const e = new Elector(opts);
  await e.start();
  return e;
}

class Elector implements VipElector {
  private readonly now = () => performance.now();
  private readonly key: KeyObject;
  private readonly election: Election;
  private readonly lease: VipLease;
  private readonly verifier: AdvertVerifier;
  private readonly stats = new ElectorStats();
  private readonly reporter: TransitionReporter;
  private readonly loop: ElectorLoop;
  private policy: VipPolicy;
  private win: VipWindows;
  private socket: AdvertSocket | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  /** The last advert accepted from each host (a repeat of it may be dropped unverified). */
  private readonly accepted = new Map<string, Accepted>();
  private stopped = false;
  private advertTimer: NodeJS.Timeout | undefined;
  private advertDueAt = 0;

  constructor(private readonly opts: VipElectorOptions) {
    this.policy = vipPolicySchema.parse(opts.policy);
    this.win = windowsOf(this.policy);
    if (this.policy.vip !== opts.vip) throw new Error(`the policy's VIP is not ${opts.vip}`);
    this.key = signingKey(opts.privateKey);
    this.election = createElection({ hostId: opts.hostId, epoch: opts.epoch }, this.policy, this.now());
    this.lease = new VipLease({
      vip: opts.vip,
      dev: opts.overlayDev,
      ...(opts.netns ? { netns: opts.netns } : {}),
      ...(opts.runner ? { runner: opts.runner } : {}),
      ...opts.lease,
      log: opts.log,
    });
    this.verifier = new AdvertVerifier({
      clusterName: this.policy.clusterName,
      selfHostId: opts.hostId,
      peerKeys: opts.peerKeys,
      limits: advertVerifyLimits(this.policy.advertIntervalMs),
    });
    this.reporter = new TransitionReporter(opts.log, opts.onTransition);
    this.loop = new ElectorLoop({
      election: this.election,
      lease: this.lease,
      stats: this.stats,
      reporter: this.reporter,
      log: opts.log,
      now: this.now,
      advertise: () => this.sendAdvert(),
    });
  }

  async start(): Promise<void> {
    this.loop.requestTick();
    await this.loop.idle();
    try {
      this.socket = await openAdvertSocket({
        iface: this.opts.underlayIface,
        port: this.opts.advertPort ?? VIP_ADVERT_PORT,
        onDatagram: (packet, source) => this.onDatagram(packet, source.address),
        log: this.opts.log,
      });
    } catch (err) {
      await this.loop.stop();
      await this.lease.close();
      throw err;
    }
    this.startTimers();
    this.sendAdvert();
  }

  setPolicy(input: VipPolicyInput): void {
    const next = vipPolicySchema.parse(input);
    if (next.vip !== this.opts.vip) throw new Error('a new VIP needs a new elector');
    if (next.clusterName !== this.policy.clusterName) throw new Error('a new cluster needs a new elector');
    this.loop.input(() => {
      const d = this.election.setPolicy(next, this.now());
      if (this.election.status(this.now()).policyVersion === next.policyVersion) {
        const interval = this.policy.advertIntervalMs;
        this.policy = next;
        this.win = windowsOf(next);
        if (next.advertIntervalMs !== interval && !this.stopped) this.startTimers();
      }
      return d;
    });
  }

  setPeerKeys(keys: Iterable<readonly [string, string]>): void {
    const { unusable } = this.verifier.setPeerKeys(keys);
    if (unusable.length > 0) this.opts.log.warn({ unusable }, 'vip peer keys not usable');
  }

  status(): VipElectorStatus {
    return {
      ...this.election.status(this.now()),
      kernelHolding: this.loop.kernel,
      reportedHolding: this.reporter.holding,
      counters: this.stats.snapshot(this.lease.lastProbeMs),
      queued: this.loop.queued,
    };
  }

  async stop({ release }: { release: boolean }): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.advertTimer);
    this.loop.stopTicks();
    await this.socket?.stop();
    await this.loop.stop();
    if (release) {
      try {
        await this.lease.release();
        this.reporter.report(false, 'Stopped');
      } catch (err) {
        this.opts.log.error({ err }, 'vip release on stop failed');
      }
    }
    await this.lease.close();
  }

  private startTimers(): void {
    this.loop.startTicks((at) => nextTickAt(at, this.election.follows(at), this.win));
    this.armAdvert(this.now());
  }

  /** The next periodic advert, after the one sent at `sentAt` (every send moves it). */
  private armAdvert(sentAt: number): void {
    clearTimeout(this.advertTimer);
    if (this.stopped) return;
    this.advertDueAt = nextAdvertAt(sentAt, this.election.follows(sentAt), this.win);
    this.advertTimer = setTimeout(() => this.onAdvertTimer(), Math.max(0, this.advertDueAt - sentAt));
  }

  /** Node measures a timer from libuv's cached loop time, which can lag this clock by a few ms, so a timer
   * can fire that much early. A follower's advert due when the holder turns absent (freshMs after its last
   * advert) would then still vote for the holder and keep its promise to it one advert longer (~250 ms
   * more failover, seen as a second mode in bench:vip): wait out the rest instead. */
  private onAdvertTimer(): void {
    const early = this.advertDueAt - this.now();
    if (early > 0) this.advertTimer = setTimeout(() => this.onAdvertTimer(), early);
    else this.sendAdvert();
  }

  private onDatagram(packet: Buffer, sourceIp: string): void {
    const now = this.now();
    const res = this.verifier.verify(packet, now, sourceIp, (a) =>
      dropsRepeat(a, this.accepted.get(a.hostId), this.election.follows(now), now, this.win),
    );
    if (!res.accepted) {
      this.stats.rejected(res.reason);
      return;
    }
    this.accepted.set(res.advert.hostId, { advert: res.advert, at: now });
    this.stats.count('accepted');
    this.loop.input(
      () => this.election.onAdvert(res.advert, this.now()),
      () => this.answer(res.advert),
    );
  }

  /** A follower answers each advert of its holder at once, in this same wake-up (advert-cadence.ts). */
  private answer(advert: VipAdvert): void {
    if (!advert.holding) return;
    const now = this.now();
    if (answers(advert.hostId, this.election.follows(now), this.lastSentAt, now, this.win)) this.sendAdvert();
  }

  private sendAdvert(): void {
    const socket = this.socket;
    if (!socket || this.stopped) return;
    const now = this.now();
    const packet = encodeAdvert(this.election.advertFor(now), this.key);
    this.lastSentAt = now;
    this.armAdvert(now);
    void socket.send(packet).then((ok) => this.stats.count(ok ? 'sent' : 'sendFailed'));
  }
}
