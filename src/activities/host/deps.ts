// What every host activity needs, validated once in the factory, and the error mapping shared by all:
// bad input → non-retryable InvalidInput; a failed command → HostCommandFailed with argv/exit/stderr.
import type { Logger } from 'pino';
import { z } from 'zod';
import { ErrorType } from '../../domain/errors.js';
import { HostError, permanentHostError } from '../../domain/host-error.js';
import type { OverlaySpec, Peer } from '../../domain/types.js';
import { hostIdSchema, ifaceNameSchema } from '../../domain/validation.js';
import { CommandError, netnsNameSchema, type Runner } from '../../net/index.js';
import type { ApplyOverlayInput } from './contract.js';

/** Told about every successful change, so the agent can persist the last overlay (state file). A rejection
 * (the state could not be saved) fails the activity, so Temporal retries it; every change is idempotent. */
export interface OverlayMemory {
  overlayApplied(input: ApplyOverlayInput): Promise<void>;
  peersSet(spec: OverlaySpec, peers: Peer[]): Promise<void>;
  vipChanged(spec: OverlaySpec, held: boolean): Promise<void>;
  tornDown(spec: OverlaySpec): Promise<void>;
}

export interface HostActivityOptions {
  hostId: string;
  underlayIface: string;
  /** Run every command inside this network namespace (tests, lab). */
  netns?: string;
  runner: Runner;
  log: Logger;
  memory?: OverlayMemory;
  /** The control plane's (broker's) address as this host reaches it, when connected: preflight refuses an
   * overlay CIDR that contains it. */
  brokerAddress?: () => string | undefined;
}

export type HostDeps = HostActivityOptions & { netns: string | undefined };

const optionsSchema = z.object({
  hostId: hostIdSchema,
  underlayIface: ifaceNameSchema,
  netns: netnsNameSchema.optional(),
});

/** Throws before anything runs when the host id, interface or netns is not acceptable. */
export function checkHostOptions(opts: HostActivityOptions): HostDeps {
  const parsed = optionsSchema.safeParse(opts);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw invalidInput(`invalid host agent options: ${detail}`);
  }
  return { ...opts, netns: opts.netns };
}

export function invalidInput(message: string): HostError {
  return permanentHostError(ErrorType.InvalidInput, message);
}

/** zod-parses activity input, failing the activity (not retried) with the field-level problems. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw invalidInput(`invalid ${what}: ${detail}`);
}

/** Runs one activity body and maps command and validation errors to HostErrors. */
export async function activity<T>(deps: HostDeps, name: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof HostError) throw err;
    if (err instanceof CommandError) {
      deps.log.warn(
        { activity: name, argv: err.argv, exitCode: err.exitCode, stderr: err.stderr },
        'command failed',
      );
      throw new HostError(ErrorType.HostCommandFailed, `${name} on ${deps.hostId}: ${err.message}`, false, [
        { argv: err.argv, exitCode: err.exitCode ?? null, stderr: err.stderr },
      ]);
    }
    if (err instanceof z.ZodError) throw invalidInput(`${name}: ${err.message}`);
    throw err;
  }
}
