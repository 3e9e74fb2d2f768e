// A persistent `ip [-n NS] -j -force -batch -` child for commands repeated every 100-200 ms (the VIP
// lease renewal). One exec of `ip` costs 5.7-8.4 ms of CPU here (~2/3 in Node's spawn, the rest in ip)
// and 20-40 ms of wall time on a loaded host; a renewal written to this child costs 0.1-0.4 ms of CPU
// and under 1.2 ms of wall time (measured in test/agent/vip/kernel-renew-cost.test.ts). This is the one
// other place besides runner.ts that starts a process for src/net: the Runner interface has no interactive stdin.
//
// The protocol of `ip -batch` is reused as is: ip reads one command per line, flushes stdout after each
// command, and with -force goes on after a failure, writing the error and "Command failed -:N" (N = the
// line number, from 1) to stderr. Every request ends with a command that prints exactly one JSON line
// on success (a `show`), so a request is answered by that line or by the failure of its last line.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { nsFlag } from './ns.js';
import { CommandError } from './runner.js';

export interface BatchFailure {
  /** Index of the failed command within the request. */
  index: number;
  message: string;
}

export interface BatchReply {
  /** The last command's JSON line; null when the last command failed. */
  output: string | null;
  failures: BatchFailure[];
}

interface Pending {
  first: number;
  last: number;
  lines: string[];
  failures: BatchFailure[];
  resolve(reply: BatchReply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

const FAILED = /Command failed -:(\d+)\n/;
/** ip resolves a device name once and keeps its index for the child's life: a device deleted and made
 * again (a re-created bridge) has a new index the old child never learns. Such an error retires the child. */
const GONE_DEVICE = /Cannot find device|does not exist|No such device|Device not found/i;
const DEFAULT_TIMEOUT_MS = 2000;

export class IpBatch {
  private child: ChildProcessWithoutNullStreams | undefined;
  private nextLine = 1;
  private queue: Pending[] = [];
  private stdoutRest = '';
  private stderrRest = '';
  private closed = false;
  /** A device went away under the child: start a fresh one once nothing waits on this one. */
  private stale = false;

  constructor(
    private readonly netns?: string,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  /** The child's PID (for CPU accounting in tests); undefined before the first request. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Runs the commands (argv after `ip`, e.g. ['addr', 'show', ...]); the last one must print one JSON
   * line. Arguments must be validated by the caller: they are joined with spaces.
   */
  request(commands: string[][]): Promise<BatchReply> {
    if (this.closed) return Promise.reject(new Error('ip batch is closed'));
    if (commands.length === 0) return Promise.reject(new Error('empty ip batch request'));
    if (this.stale && this.queue.length === 0) this.retire();
    const child = this.child ?? this.start();
    const lines = commands.map((c) => c.join(' '));
    const first = this.nextLine;
    this.nextLine += lines.length;
    return new Promise<BatchReply>((resolve, reject) => {
      const p: Pending = {
        first,
        last: first + lines.length - 1,
        lines,
        failures: [],
        resolve,
        reject,
        timer: undefined as never,
      };
      // A wedged child: fail every request and start a fresh one next time.
      p.timer = setTimeout(
        () =>
          this.fail(
            new CommandError(
              this.argv(),
              undefined,
              `timed out after ${this.timeoutMs} ms: ${lines.join('; ')}`,
            ),
          ),
        this.timeoutMs,
      );
      this.queue.push(p);
      child.stdin.write(`${lines.join('\n')}\n`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.fail(new Error('ip batch closed'));
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin.end();
      await exited;
    }
  }

  private argv(): string[] {
    return ['ip', ...nsFlag(this.netns), '-j', '-force', '-batch', '-'];
  }

  private start(): ChildProcessWithoutNullStreams {
    const [file, ...args] = this.argv() as [string, ...string[]];
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.nextLine = 1; // line numbers restart with each child
    this.stdoutRest = '';
    this.stderrRest = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr.on('data', (chunk: string) => this.onStderr(chunk));
    child.stdin.on('error', () => undefined); // EPIPE after the child died: reported by 'exit'
    child.on('error', (err) => this.fail(err));
    child.on('exit', (code) => {
      if (this.child === child)
        this.fail(new CommandError(this.argv(), code ?? undefined, this.stderrRest || 'ip batch exited'));
    });
    return child;
  }

  private onStdout(chunk: string): void {
    const parts = (this.stdoutRest + chunk).split('\n');
    this.stdoutRest = parts.pop() ?? '';
    if (parts.length === 0) return;
    // ip writes a failed command's error to stderr before it reads the next line, but Node may read the
    // two pipes in either order: the lines are matched to requests after this turn's stderr was read
    // (a request whose last command failed is out of the queue by then).
    setImmediate(() => {
      for (const line of parts) {
        const p = this.queue.shift();
        if (p) this.settle(p, line);
      }
    });
  }

  private onStderr(chunk: string): void {
    this.stderrRest += chunk;
    for (let m = FAILED.exec(this.stderrRest); m; m = FAILED.exec(this.stderrRest)) {
      const message = this.stderrRest.slice(0, m.index).trim();
      this.stderrRest = this.stderrRest.slice(m.index + m[0].length);
      const n = Number(m[1]);
      const i = this.queue.findIndex((p) => p.first <= n && n <= p.last);
      const p = this.queue[i];
      if (!p) continue;
      p.failures.push({ index: n - p.first, message });
      if (n === p.last) {
        this.queue.splice(i, 1);
        this.settle(p, null);
      }
    }
  }

  private settle(p: Pending, output: string | null): void {
    clearTimeout(p.timer);
    if (p.failures.some((f) => GONE_DEVICE.test(f.message))) this.stale = true;
    p.resolve({ output, failures: p.failures });
  }

  /** Lets the current child go (it exits on end of input) without failing anything: nothing waits on it. */
  private retire(): void {
    const child = this.child;
    this.child = undefined;
    this.stale = false;
    this.nextLine = 1;
    if (child && child.exitCode === null) child.stdin.end();
  }

  private fail(err: Error): void {
    const queue = this.queue;
    this.queue = [];
    const child = this.child;
    this.child = undefined;
    this.nextLine = 1;
    if (child && child.exitCode === null) child.kill('SIGKILL');
    for (const p of queue) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
