// Commands published to hosts whose activity waits for the host's result: command id → the host it was
// addressed to, the activity's task token and the moment nobody waits any more. In memory on purpose:
// a task token is only good for the attempt that made it, and a restarted control worker's activities
// time out and are retried by Temporal with a fresh command (host commands are idempotent).
// Every entry expires at its deadline, so a host that never answers leaks nothing.
import type { HostCommandKind } from '../contract/host-channel.js';

export interface PendingCommand {
  id: string;
  hostId: string;
  kind: HostCommandKind;
  taskToken: Uint8Array;
  /** Epoch ms: the activity attempt's start-to-close (or schedule-to-close) runs out. */
  deadline: number;
  /** Epoch ms when the command was handed to the broker (round-trip measurement). */
  publishedAt: number;
}

/** Kept a little past the deadline: a result racing the timeout still finds its entry and is
 * completed or answered with ActivityNotFound by Temporal instead of logged as unknown. */
const EXPIRY_GRACE_MS = 1_000;

export class PendingCommands {
  private readonly byId = new Map<string, { command: PendingCommand; timer: NodeJS.Timeout }>();
  private expiredCount = 0;

  constructor(private readonly onExpired: (command: PendingCommand) => void = () => undefined) {}

  add(command: PendingCommand, now = Date.now()): void {
    if (this.byId.has(command.id)) throw new Error(`duplicate command id ${command.id}`);
    const timer = setTimeout(
      () => {
        if (this.byId.delete(command.id)) {
          this.expiredCount += 1;
          this.onExpired(command);
        }
      },
      Math.max(0, command.deadline - now) + EXPIRY_GRACE_MS,
    );
    timer.unref();
    this.byId.set(command.id, { command, timer });
  }

  /** The entry, left in place (to check who it belongs to before taking it). */
  peek(id: string): PendingCommand | undefined {
    return this.byId.get(id)?.command;
  }

  /** Removes and returns the entry: only one result can ever complete a command. */
  take(id: string): PendingCommand | undefined {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.byId.delete(id);
    return entry.command;
  }

  get size(): number {
    return this.byId.size;
  }

  get expired(): number {
    return this.expiredCount;
  }

  clear(): void {
    for (const { timer } of this.byId.values()) clearTimeout(timer);
    this.byId.clear();
  }
}
