// The test's handle on one hook-host.ts process: spawn it inside a namespace, send the config and the host
// activities' inputs, collect its JSON lines (VIP reports, answers) and the tail of its log.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { VipReport } from '../../../src/domain/site-vip.js';
import type { HookHostConfig } from './hook-host.js';

const ENTRY = fileURLToPath(new URL('./hook-host.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Line = Record<string, unknown>;
export type HookReport = Omit<VipReport, 'seq'>;

export class HookHost {
  readonly lines: Line[] = [];
  readonly logTail: string[] = [];
  readonly exited: Promise<number | null>;
  private rest = '';
  private ids = 0;

  private constructor(
    readonly hostId: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (this.rest + chunk).split('\n');
      this.rest = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) this.lines.push(JSON.parse(p) as Line);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.logTail.push(...chunk.split('\n').filter(Boolean));
      this.logTail.splice(0, Math.max(0, this.logTail.length - 200));
    });
    child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Spawns it in NS and sends the config; resolves once its stored overlay and policy are back. */
  static async start(ns: string, cfg: HookHostConfig): Promise<{ host: HookHost; reapplied: boolean }> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', ENTRY], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env,
    });
    const host = new HookHost(cfg.hostId, child);
    await host.waitFor((l) => l.loaded === true, 60_000);
    host.send(cfg);
    const ready = await host.waitFor((l) => l.ready === true, 60_000);
    return { host, reapplied: ready.reapplied === true };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  reports(): HookReport[] {
    return this.lines.flatMap((l) => (l.report ? [l.report as HookReport] : []));
  }

  /** A host activity; rejects with the activity's error. */
  async call(call: string, input: unknown): Promise<unknown> {
    const id = ++this.ids;
    this.send({ id, call, input });
    const line = await this.waitFor((l) => l.id === id, 30_000);
    if ('error' in line) throw new Error(`${this.hostId} ${call}: ${String(line.error)}`);
    return line.result;
  }

  async status(): Promise<Record<string, unknown> | null> {
    const id = ++this.ids;
    this.send({ id, status: true });
    return (await this.waitFor((l) => l.id === id, 5000)).status as Record<string, unknown> | null;
  }

  async stop(release: boolean): Promise<void> {
    if (!this.alive) return;
    this.send({ stop: { release } });
    await Promise.race([this.exited, sleep(10_000)]);
    this.kill();
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  private send(obj: unknown): void {
    if (this.alive) this.child.stdin.write(`${JSON.stringify(obj)}\n`);
  }

  private async waitFor(pred: (l: Line) => boolean, ms: number): Promise<Line> {
    const end = Date.now() + ms;
    for (let from = 0; ; ) {
      for (; from < this.lines.length; from++) if (pred(this.lines[from]!)) return this.lines[from]!;
      if (!this.alive) throw new Error(`${this.hostId} exited; log: ${this.logTail.slice(-5).join('\n')}`);
      if (Date.now() > end)
        throw new Error(`${this.hostId}: timed out; log: ${this.logTail.slice(-5).join('\n')}`);
      await sleep(10);
    }
  }
}
