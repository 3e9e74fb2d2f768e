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
  /** The attempt's heartbeat timeout (ms; 0 or absent: none). While the host has not answered, the entry is
   * heartbeated well inside it (see PendingCommandsOptions.heartbeat). */
  heartbeatTimeoutMs?: number;
}

export interface PendingCommandsOptions {
  onExpired?: (command: PendingCommand) => void;
  /**
   * Tells Temporal this attempt is alive (Client.activity.heartbeat by task token), for entries with a
   * heartbeat timeout, every HEARTBEAT_SHARE of it, first after one share (most commands are answered
   * sooner and cost no heartbeat). Why: under overload the Temporal server can record an activity task
   * as started and never hand it to the worker (its transfer queue's AddActivityTask timed out and was
   * retried); no command is published for that attempt and it used to wait out its whole start-to-close
   * (30 s). With a heartbeat timeout, an attempt nobody here holds ends after that timeout instead, and
   * the retry publishes the command; the attempts this relay does hold are kept alive by these heartbeats.
   */
  heartbeat?: (command: PendingCommand) => void;
}

/** Heartbeats go out every this share of the heartbeat timeout: two chances before it runs out. */
export const HEARTBEAT_SHARE = 0.4;

/** Kept a little past the deadline: a result racing the timeout still finds its entry and is
 * completed or answered with ActivityNotFound by Temporal instead of logged as unknown. */
const EXPIRY_GRACE_MS = 1_000;

export class PendingCommands {
  private readonly byId = new Map<
    string,
    { command: PendingCommand; timer: NodeJS.Timeout; beat?: NodeJS.Timeout | undefined }
  >();
  private expiredCount = 0;
  private readonly onExpired: (command: PendingCommand) => void;
  private readonly heartbeat: ((command: PendingCommand) => void) | undefined;

  /** A function is the onExpired callback alone (the older form). */
  constructor(o: PendingCommandsOptions | ((command: PendingCommand) => void) = {}) {
    const opts = typeof o === 'function' ? { onExpired: o } : o;
    this.onExpired = opts.onExpired ?? (() => undefined);
    this.heartbeat = opts.heartbeat;
  }

  add(command: PendingCommand, now = Date.now()): void {
    if (this.byId.has(command.id)) throw new Error(`duplicate command id ${command.id}`);
    const timer = setTimeout(
      () => {
        const entry = this.byId.get(command.id);
        if (!entry) return;
        clearInterval(entry.beat);
        this.byId.delete(command.id);
        this.expiredCount += 1;
        this.onExpired(command);
      },
      Math.max(0, command.deadline - now) + EXPIRY_GRACE_MS,
    );
    timer.unref();
    const heartbeat = this.heartbeat;
    const every = (command.heartbeatTimeoutMs ?? 0) * HEARTBEAT_SHARE;
    let beat: NodeJS.Timeout | undefined;
    if (heartbeat && every > 0) {
      beat = setInterval(() => heartbeat(command), every);
      beat.unref();
    }
    this.byId.set(command.id, { command, timer, beat });
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
    clearInterval(entry.beat);
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
    for (const { timer, beat } of this.byId.values()) {
      clearTimeout(timer);
      clearInterval(beat);
    }
    this.byId.clear();
  }
}
