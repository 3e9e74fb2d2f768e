// The one place that starts processes for src/net: an injectable runner (tests record argv with a fake one).
import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Written to the child's stdin (e.g. a `bridge -batch -` script). */
  input?: string;
  timeoutMs?: number;
  cancelSignal?: AbortSignal;
  /** When false, a non-zero exit is returned instead of thrown. Default true. */
  reject?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A long-running child whose stdout is delivered line by line (e.g. `ip monitor address`). */
export interface LineProcess {
  pid: number | undefined;
  /** Resolves when the child has exited, whatever the reason. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export interface Runner {
  run(file: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  spawnLines(file: string, args: readonly string[], onLine: (line: string) => void): LineProcess;
}

/** A failed command, with what a reader needs: argv, exit code and stderr (STYLE 2.10). */
export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed (exit ${exitCode ?? '?'}): ${stderr.trim() || 'no stderr'}`);
    this.name = 'CommandError';
  }
}

const DEFAULT_TIMEOUT_MS = 15_000;

// Node's own spawn, not execa: an agent runs `ip`/`bridge` several times per peer-table apply, and in the
// 20-host lab's CPU profiles of a renumbering (jitless agents, every host at once) execa's per-call layers
// (options, env copy, stream merging, abort plumbing) cost about as much as the spawn itself. The contract
// is the one execa gave here: stdout/stderr as text, input on stdin, a timeout and a cancel signal that
// kill the child, a non-zero exit thrown as CommandError unless `reject: false`.
export const processRunner: Runner = {
  run(file, args, opts = {}) {
    return new Promise<RunResult>((resolve, reject) => {
      const argv = [file, ...args];
      const child = spawn(file, [...args], {
        stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let why: 'timed out' | 'canceled' | null = null;
      let spawnError: Error | null = null;
      child.stdout?.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
      });
      child.stderr?.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
      });
      const stop = (reason: 'timed out' | 'canceled') => {
        why ??= reason;
        child.kill('SIGTERM');
      };
      const timer = setTimeout(() => stop('timed out'), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      const onAbort = () => stop('canceled');
      if (opts.cancelSignal?.aborted) onAbort();
      else opts.cancelSignal?.addEventListener('abort', onAbort, { once: true });
      if (opts.input !== undefined && child.stdin) {
        child.stdin.on('error', () => undefined); // a child that exits without reading its input
        child.stdin.end(opts.input);
      }
      child.on('error', (err) => {
        spawnError = err; // e.g. ENOENT; 'close' follows
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        opts.cancelSignal?.removeEventListener('abort', onAbort);
        const exitCode = spawnError ? -1 : (code ?? -1);
        if (spawnError) stderr = stderr || spawnError.message;
        if (opts.reject !== false && (exitCode !== 0 || why !== null)) {
          reject(new CommandError(argv, code ?? undefined, why ? `${why}; ${stderr}` : stderr));
          return;
        }
        resolve({ stdout, stderr, exitCode });
      });
    });
  },

  spawnLines(file, args, onLine) {
    const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let rest = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) onLine(line);
    });
    const done = new Promise<void>((resolve) => {
      child.on('close', () => resolve());
      child.on('error', () => resolve());
    });
    return {
      pid: child.pid,
      done,
      async stop() {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
          child.kill('SIGTERM');
        await done;
      },
    };
  },
};
