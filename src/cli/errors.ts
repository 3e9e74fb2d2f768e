// What the CLI prints for an error and the exit code it returns: one clear line (plus a hint), never a stack
// trace for a user's mistake. README "Exit codes" documents the table below; scripts depend on it.

export const ExitCode = {
  Ok: 0,
  /** Anything else: API unreachable or failing (5xx), a host that failed to join, an unexpected error. */
  Other: 1,
  /** Usage or validation: unknown flag, bad value, bad configuration, an API 400. */
  Usage: 2,
  /** Not found: an API 404 (unknown cluster or host). */
  NotFound: 3,
  /** Conflict: an API 409, a port or data dir another process already uses. */
  Conflict: 4,
  /** `--wait` gave up (`--timeout`). */
  Timeout: 5,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one clear message (plus an optional hint line) and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Other,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code for an API answer's HTTP status. */
export function exitCodeForStatus(status: number): ExitCodeValue {
  if (status === 400 || status === 413 || status === 415 || status === 422) return ExitCode.Usage;
  if (status === 404) return ExitCode.NotFound;
  if (status === 409) return ExitCode.Conflict;
  return ExitCode.Other;
}

/** Errors from other layers that carry their own exit code and hint (e.g. src/dev's PortInUseError). */
interface CodedError {
  exitCode: number;
  hint?: string;
}
const isCoded = (err: unknown): err is Error & CodedError =>
  err instanceof Error && typeof (err as Partial<CodedError>).exitCode === 'number';

/** Writes the error as `edge-overlay: message` (+ hint) and returns the exit code. A stack trace is shown
 * only for an unexpected error and only with EDGE_OVERLAY_LOG_LEVEL=debug (or trace). */
export function reportError(
  err: unknown,
  write: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): number {
  if (isCoded(err)) {
    write(`edge-overlay: ${err.message}\n`);
    if (err.hint) write(`  ${err.hint}\n`);
    return err.exitCode;
  }
  const debug = env.EDGE_OVERLAY_LOG_LEVEL === 'debug' || env.EDGE_OVERLAY_LOG_LEVEL === 'trace';
  const message = err instanceof Error ? err.message : String(err);
  write(`edge-overlay: ${debug && err instanceof Error ? (err.stack ?? message) : message}\n`);
  if (!debug) write('  (unexpected error; EDGE_OVERLAY_LOG_LEVEL=debug shows where it came from)\n');
  return ExitCode.Other;
}
