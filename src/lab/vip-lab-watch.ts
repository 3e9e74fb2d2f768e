// The lab's two observers of the VIP, both reading the kernel, never the electors:
//  - HolderChecker samples `ip -j addr show dev <bridge>` of every host every 50 ms (one persistent
//    `ip -n NS -j -batch` child per host, so sampling does not load the CPU the electors need) and counts
//    the samples where more than one host holds the VIP (violations: must stay 0);
//  - VipPinger runs `ping -D -i 0.02 VIP` in a host's namespace and keeps the wall-clock time of every
//    reply: "the VIP answers from this host" at a given time.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { addrListed, IpBatch } from '../net/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HolderSample {
  /** Wall clock (Date.now()) when the reads were issued. */
  at: number;
  holders: string[];
}

export class HolderChecker {
  readonly samples: HolderSample[] = [];
  private readonly batches: Array<{ hostId: string; batch: IpBatch }>;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    hosts: Array<{ hostId: string; ns: string }>,
    private readonly dev: string,
    private readonly vip: string,
    private readonly periodMs = 50,
  ) {
    this.batches = hosts.map((h) => ({ hostId: h.hostId, batch: new IpBatch(h.ns) }));
  }

  start(): void {
    this.running ??= this.loop();
  }

  get violations(): HolderSample[] {
    return this.samples.filter((s) => s.holders.length > 1);
  }

  /** The latest sample, if any. */
  get last(): HolderSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  samplesBetween(from: number, to: number): HolderSample[] {
    return this.samples.filter((s) => s.at >= from && s.at <= to);
  }

  /** Resolves with the first sample (taken from now on) that satisfies pred. */
  async waitFor(pred: (s: HolderSample) => boolean, timeoutMs: number): Promise<HolderSample> {
    const from = this.samples.length;
    const end = Date.now() + timeoutMs;
    for (let i = from; ; ) {
      for (; i < this.samples.length; i++) if (pred(this.samples[i]!)) return this.samples[i]!;
      if (Date.now() > end) throw new Error(`no such VIP sample within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await Promise.all(this.batches.map((b) => b.batch.close()));
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const at = Date.now();
      const held = await Promise.all(
        this.batches.map(async ({ hostId, batch }) => {
          const reply = await batch.request([['addr', 'show', 'dev', this.dev]]);
          return reply.output !== null && addrListed(reply.output, this.vip, 32) ? hostId : null;
        }),
      );
      this.samples.push({ at, holders: held.filter((h): h is string => h !== null) });
      await sleep(Math.max(0, this.periodMs - (Date.now() - at)));
    }
  }
}

const REPLY = /^\[(\d+)\.(\d+)\] \d+ bytes from /;

export class VipPinger {
  /** Wall-clock times (ms) of the replies, in order. */
  readonly replies: number[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private rest = '';

  constructor(ns: string, vip: string, intervalS = 0.02) {
    this.child = spawn('ip', ['netns', 'exec', ns, 'ping', '-n', '-D', '-O', '-i', String(intervalS), vip]);
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      const parts = (this.rest + chunk).split('\n');
      this.rest = parts.pop() ?? '';
      for (const p of parts) {
        const m = REPLY.exec(p);
        if (m) this.replies.push(Number(m[1]) * 1000 + Number(`0.${m[2]}`) * 1000);
      }
    });
    this.child.stderr.resume();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  firstReplyAfter(at: number): number | undefined {
    return this.replies.find((r) => r > at);
  }

  async waitReplyAfter(at: number, timeoutMs: number): Promise<number> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = this.firstReplyAfter(at);
      if (r !== undefined) return r;
      if (Date.now() > end) throw new Error(`no ping reply from the VIP within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    return exited;
  }
}
