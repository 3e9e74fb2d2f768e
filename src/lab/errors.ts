// The lab's user errors: one clear line and a documented exit code (README "Lab"), never a stack trace.
import { CliError, ExitCode } from '../cli/errors.js';

/** Exit codes of `edge-overlay lab …`, the numbers of the CLI's table (README "Exit codes"). */
export const LAB_EXIT = {
  /** `lab up` failed half-way (everything it made was removed), or something unexpected. */
  failed: ExitCode.Other,
  /** Not run as root; an outage in a lab without --dhcp. */
  usage: ExitCode.Usage,
  /** No lab of that name (nothing to tear down, no state). */
  notFound: ExitCode.NotFound,
  /** A lab of that name is running or left namespaces behind; a port given with --api-port/--ui-port
   * is taken. */
  conflict: ExitCode.Conflict,
  /** Ctrl-C while `lab up` was starting (everything it made was removed). */
  interrupted: 130,
} as const;

export class LabError extends CliError {
  constructor(message: string, exitCode: number) {
    super(message, exitCode);
    this.name = 'LabError';
  }
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0)
    throw new LabError(
      'the lab creates network namespaces: run it as root (sudo node bin/edge-overlay.js lab …)',
      LAB_EXIT.usage,
    );
}
