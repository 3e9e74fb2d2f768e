// The lab's handle on one host's elector process (vip-lab-host.ts): spawn it inside the namespace, send
// the config and commands, collect its JSON lines (transitions with their wall-clock times) and the tail
// of its log for failure reports. kill() is a real SIGKILL of the elector (ip netns exec execs in place,
// so the child's PID is node's).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { VipTransition } from '../agent/vip/elector.js';
import type { VipLabHostConfig } from './vip-lab-host.js';

const HOST_ENTRY = fileURLToPath(new URL('./vip-lab-host.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class VipHostProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  /** The last lines of its stderr (pino JSON), for diagnostics. */
  readonly logTail: string[] = [];
  readonly exited: Promise<number | null>;
  private rest = '';

  private constructor(
    readonly hostId: string,
    private readonly child: ChildProcessWithoutNullStreams,
    onTransition: (hostId: string, t: VipTransition) => void,
  ) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (this.rest + chunk).split('\n');
      this.rest = parts.pop() ?? '';
      for (const p of parts) {
        if (!p.trim()) continue;
        const line = JSON.parse(p) as Record<string, unknown>;
        this.lines.push(line);
        if (line.transition) onTransition(hostId, line.transition as VipTransition);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.logTail.push(...chunk.split('\n').filter(Boolean));
      this.logTail.splice(0, Math.max(0, this.logTail.length - 400));
    });
    child.stdin.on('error', () => undefined); // a killed child: writes may fail
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Spawns node in NS; it waits for its config (configure). */
  static spawn(
    ns: string,
    hostId: string,
    onTransition: (hostId: string, t: VipTransition) => void,
  ): VipHostProcess {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', HOST_ENTRY], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env,
    });
    return new VipHostProcess(hostId, child, onTransition);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends the config; resolves when the elector has started. */
  async configure(cfg: VipLabHostConfig, timeoutMs = 30_000): Promise<void> {
    this.send(cfg);
    await this.waitFor((l) => l.ready === true, timeoutMs);
  }

  send(obj: unknown): void {
    if (this.alive) this.child.stdin.write(`${JSON.stringify(obj)}\n`);
  }

  async waitFor(pred: (l: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown>> {
    const end = Date.now() + ms;
    for (let from = 0; ; ) {
      for (; from < this.lines.length; from++) if (pred(this.lines[from]!)) return this.lines[from]!;
      if (!this.alive) throw new Error(`${this.hostId} exited; log: ${this.logTail.slice(-5).join('\n')}`);
      if (Date.now() > end)
        throw new Error(`${this.hostId}: timed out; log: ${this.logTail.slice(-5).join('\n')}`);
      await sleep(10);
    }
  }

  async status(): Promise<Record<string, unknown>> {
    const from = this.lines.length;
    this.send({ status: true });
    const line = await this.waitFor((l) => 'status' in l && this.lines.indexOf(l) >= from, 5000);
    return line.status as Record<string, unknown>;
  }

  /** stop({release}) inside the elector, then the process exits. */
  async stop(release: boolean): Promise<void> {
    if (!this.alive) return;
    this.send({ stop: { release } });
    await Promise.race([this.exited, sleep(10_000)]);
    if (this.alive) this.kill();
  }

  /** SIGKILL: no release, no last advert; the kernel lifetime removes its VIP. */
  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}
