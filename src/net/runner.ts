// The one place that starts processes for src/net: an injectable runner (tests record argv with a fake one).
import { execa } from 'execa';

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

export const execaRunner: Runner = {
  async run(file, args, opts = {}) {
    const result = await execa(file, [...args], {
      reject: false,
      timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
      ...(opts.cancelSignal ? { cancelSignal: opts.cancelSignal } : {}),
      stripFinalNewline: false,
    });
    const exitCode = result.exitCode ?? -1;
    const stderr = String(result.stderr ?? '');
    if (opts.reject !== false && (exitCode !== 0 || result.timedOut || result.isCanceled)) {
      const why = result.timedOut
        ? `timed out; ${stderr}`
        : result.isCanceled
          ? `canceled; ${stderr}`
          : stderr;
      throw new CommandError([file, ...args], result.exitCode, why);
    }
    return { stdout: String(result.stdout ?? ''), stderr, exitCode };
  },

  spawnLines(file, args, onLine) {
    const child = execa(file, [...args], { reject: false, stdin: 'ignore', buffer: false, lines: false });
    let rest = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) onLine(line);
    });
    const done = child.then(
      () => undefined,
      () => undefined,
    );
    return {
      pid: child.pid,
      done,
      async stop() {
        if (child.exitCode === null && child.pid !== undefined) child.kill('SIGTERM');
        await done;
      },
    };
  },
};
