// Host commands in flight, tracked like joins: each runs beside the main loop, at most one per host and kind,
// and one that runs past stallAfterMs is reported (HostCommandStalled) instead of waited for. Nothing in
// the loop ever awaits a host, so one slow or dead host cannot delay work for the others.
import type { ClusterState } from './cluster-state.js';

export type HostOpKind = 'push' | 'vip' | 'release' | 'teardown';

interface Op {
  hostId: string;
  kind: HostOpKind;
  since: number;
  reported: boolean;
  done: Promise<void>;
}

export class HostOps {
  private readonly ops = new Map<string, Op>();

  constructor(
    private readonly state: ClusterState,
    private readonly onSettled: () => void,
  ) {}

  busy(kind: HostOpKind, hostId: string): boolean {
    return this.ops.has(`${kind}:${hostId}`);
  }
  get size(): number {
    return this.ops.size;
  }
  hostsRunning(kind: HostOpKind): string[] {
    return [...this.ops.values()].filter((o) => o.kind === kind).map((o) => o.hostId);
  }

  /** Runs `work` in the background unless the same kind already runs for the host. `work` must not throw:
   * its outcome goes into the state. The loop wakes when it settles. */
  start(kind: HostOpKind, hostId: string, work: () => Promise<void>): boolean {
    const key = `${kind}:${hostId}`;
    if (this.ops.has(key)) return false;
    const op: Op = { hostId, kind, since: Date.now(), reported: false, done: Promise.resolve() };
    op.done = work().finally(() => {
      this.ops.delete(key);
      this.refreshStalled();
      this.onSettled();
    });
    this.ops.set(key, op);
    return true;
  }

  /** True when the op has run past the stall threshold (it keeps running; callers stop waiting for it). */
  isStalled(kind: HostOpKind, hostId: string): boolean {
    const op = this.ops.get(`${kind}:${hostId}`);
    return op !== undefined && Date.now() - op.since >= this.stallAfterMs;
  }

  /** Records HostCommandStalled once per op that crossed the threshold and updates the state's stalled set. */
  reportStalled(): void {
    for (const op of this.ops.values()) {
      if (op.reported || Date.now() - op.since < this.stallAfterMs) continue;
      op.reported = true;
      const data = { command: op.kind, runningMs: Date.now() - op.since, stallAfterMs: this.stallAfterMs };
      this.state.record('HostCommandStalled', data, op.hostId);
    }
    this.refreshStalled();
  }

  /** When the next op will cross the threshold (a wake-up for the loop), or null. */
  nextStallDeadline(): number | null {
    const pending = [...this.ops.values()].filter((o) => !o.reported).map((o) => o.since + this.stallAfterMs);
    return pending.length > 0 ? Math.min(...pending) : null;
  }

  /** Resolves once every op of `kind` for `hostIds` has settled or stalled. */
  settledOrStalled(kind: HostOpKind, hostIds: readonly string[]): boolean {
    return hostIds.every((id) => !this.busy(kind, id) || this.isStalled(kind, id));
  }

  /** Everything still running (for the end of a run; ops never reject). */
  async all(): Promise<void> {
    await Promise.all([...this.ops.values()].map((o) => o.done));
  }

  private get stallAfterMs(): number {
    return this.state.options.stallAfterMs;
  }

  private refreshStalled(): void {
    const stalled = new Map<string, string[]>();
    for (const op of this.ops.values()) {
      if (!op.reported) continue;
      stalled.set(op.hostId, [...(stalled.get(op.hostId) ?? []), op.kind]);
    }
    this.state.setStalled(stalled);
  }
}
