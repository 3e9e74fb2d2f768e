// Runs the commands that arrive on the host's `commands` leaf and answers each on `results`.
// - Garbage is dropped with a warning; if it still names a usable command id, the sender gets an
//   InvalidInput (non-retryable) answer at once instead of waiting for its timeout.
// - A command past its deadline is not run: nobody waits for it (the activity timed out and Temporal
//   retries with a new command), and running a stale command could undo a newer one. It is answered
//   with CommandExpired (retryable), not silently dropped: if the host clock runs ahead of the control
//   plane's, the control side sees why at once, in its logs, instead of an unexplained timeout.
// - QoS 1 may deliver a command twice (and the control plane may re-publish it): an id seen recently is
//   never run again; while it runs, the duplicate is ignored (the one result is coming); once it has
//   finished, the cached result is published again (the first one may be what was lost).
// Commands run concurrently, as they did when the agent was a Temporal worker: a slow probe never holds
// up a peer-table update. Every handler is idempotent and validates its own input (activities/host).
import type { Logger } from 'pino';
import type { HostActivities } from '../../activities/host/contract.js';
import { type HostCommand, type HostResult, hostCommandSchema } from '../../contract/host-channel.js';
import { ErrorType } from '../../domain/errors.js';
import { ChannelErrorType, toHostError } from './host-error.js';

/** Finished commands remembered for duplicates; a QoS 1 redelivery comes right after a reconnect. */
const DEFAULT_REMEMBER = 1024;

export interface DispatcherOptions {
  handlers: HostActivities;
  publish: (result: HostResult) => void;
  log: Logger;
  now?: () => number;
  remember?: number;
}

export interface DispatcherStats {
  received: number;
  ran: number;
  duplicates: number;
  expired: number;
  rejected: number;
}

/** null while the command runs; its result once it has finished. */
type Seen = { result: HostResult | null };

export class CommandDispatcher {
  private readonly seen = new Map<string, Seen>();
  private readonly running = new Set<Promise<void>>();
  private readonly now: () => number;
  readonly stats: DispatcherStats = { received: 0, ran: 0, duplicates: 0, expired: 0, rejected: 0 };

  constructor(private readonly o: DispatcherOptions) {
    this.now = o.now ?? Date.now;
  }

  /** One message from the commands leaf (never throws: a bad message must not stop the channel). */
  receive(payload: Buffer | string): void {
    this.stats.received++;
    const command = this.parse(payload);
    if (!command) return;
    this.o.log.debug(
      { id: command.id, kind: command.kind, deadlineInMs: command.deadline - this.now() },
      'command received',
    );
    const known = this.seen.get(command.id);
    if (known) {
      this.stats.duplicates++;
      this.o.log.info(
        { id: command.id, kind: command.kind, finished: known.result !== null },
        'duplicate command',
      );
      if (known.result) this.o.publish(known.result);
      return;
    }
    if (command.deadline <= this.now()) {
      this.stats.expired++;
      const late = this.now() - command.deadline;
      this.o.log.warn(
        { id: command.id, kind: command.kind, lateMs: late },
        'command past its deadline: not run',
      );
      const message = `command ${command.kind} reached the host ${late} ms after its deadline (host clock ${new Date(this.now()).toISOString()}); not run`;
      this.finish(command.id, {
        id: command.id,
        ok: false,
        error: { type: ChannelErrorType.CommandExpired, message, nonRetryable: false },
      });
      return;
    }
    this.remember(command.id, { result: null });
    const run = this.run(command).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Resolves when every command that has started has answered (or failed to). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  inFlight(): number {
    return this.running.size;
  }

  private parse(payload: Buffer | string): HostCommand | null {
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString());
    } catch {
      this.reject(null, 'not JSON', payload.length);
      return null;
    }
    const parsed = hostCommandSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const id = hostCommandSchema.shape.id.safeParse((raw as { id?: unknown } | null)?.id);
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    this.reject(id.success ? id.data : null, issues, payload.length);
    return null;
  }

  private reject(id: string | null, why: string, bytes: number): void {
    this.stats.rejected++;
    this.o.log.warn({ id, why, bytes }, 'malformed command dropped');
    if (id === null || this.seen.has(id)) return;
    this.finish(id, {
      id,
      ok: false,
      error: {
        type: ErrorType.InvalidInput,
        message: `malformed command: ${why}`.slice(0, 2000),
        nonRetryable: true,
      },
    });
  }

  private async run(c: HostCommand): Promise<void> {
    const started = this.now();
    const handler = this.o.handlers[c.kind] as (input: unknown) => Promise<unknown>;
    let result: HostResult;
    try {
      const value = await handler.call(this.o.handlers, c.input);
      result = { id: c.id, ok: true, result: value ?? null };
    } catch (err) {
      result = { id: c.id, ok: false, error: toHostError(err) };
    }
    this.stats.ran++;
    const ms = this.now() - started;
    if (result.ok) this.o.log.debug({ id: c.id, kind: c.kind, ms }, 'command done');
    else this.o.log.warn({ id: c.id, kind: c.kind, ms, error: result.error }, 'command failed');
    this.finish(c.id, result);
  }

  private finish(id: string, result: HostResult): void {
    this.remember(id, { result });
    try {
      this.o.publish(result);
    } catch (err) {
      this.o.log.warn({ id, err: String(err) }, 'could not publish a result');
    }
  }

  /** Bounded memory: the oldest finished entries go first; running ones are always kept. */
  private remember(id: string, seen: Seen): void {
    this.seen.delete(id);
    this.seen.set(id, seen);
    const max = this.o.remember ?? DEFAULT_REMEMBER;
    for (const [key, entry] of this.seen) {
      if (this.seen.size <= max) break;
      if (entry.result !== null) this.seen.delete(key);
    }
  }
}
