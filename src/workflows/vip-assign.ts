// VIP placement in the background (since 'control-plane-truth'): one healthy control-plane host holds the
// VIP. An assignment runs beside the loop; one that fails is retried later, one that stalls is given up on
// and the next candidate tried. If a stalled assignment succeeds after another host took the VIP, that
// host is told to release it again, so a late answer never leaves two holders.
import { summarizeMap } from '../domain/event-log.js';
import { nextFutureRetry, retryDue } from '../domain/retry.js';
import { initialVipWaits, vipMoveReason } from '../domain/vip-policy.js';
import { hostActivities } from './activity-options.js';
import type { ClusterState, HostRecordView } from './cluster-state.js';
import { describeFailure } from './failures.js';
import type { HostOps } from './host-ops.js';

export class VipAssigner {
  private readonly failedAt = new Map<string, number>();
  private readonly failures: Record<string, string> = {};

  constructor(
    private readonly state: ClusterState,
    private readonly ops: HostOps,
  ) {}

  /** True while the VIP needs a holder (the loop retries after retryIntervalMs). */
  wanted(): boolean {
    const { vipHolder } = this.state;
    const holder = vipHolder ? this.state.host(vipHolder) : undefined;
    if (holder?.state === 'Joined') return false;
    return this.candidates().length > 0 && !initialVipWaits(this.state.hosts, vipHolder);
  }

  nextRetry(): number | null {
    return this.wanted() && !this.state.quiescing
      ? nextFutureRetry(this.failedAt.values(), this.state.options.retryIntervalMs, Date.now())
      : null;
  }

  step(): void {
    const { state, ops } = this;
    const previous = state.vipHolder;
    const holder = previous ? state.host(previous) : undefined;
    if (holder?.state === 'Joined') return;
    if (initialVipWaits(state.hosts, previous)) return;
    const candidates = this.candidates();
    if (candidates.length === 0) {
      if (previous !== null) {
        state.moveVip(previous, null, 'NoHealthyControlPlane', summarizeMap(this.failures));
      }
      return;
    }
    // One attempt at a time; a stalled one no longer blocks the next candidate.
    if (ops.hostsRunning('vip').some((id) => !ops.isStalled('vip', id))) return;
    const retryMs = state.options.retryIntervalMs;
    const next = candidates.find(
      (c) =>
        !ops.busy('vip', c.hostId) &&
        retryDue(this.failedAt.get(c.hostId), Date.now(), retryMs, state.quiescing),
    );
    if (next) ops.start('vip', next.hostId, () => this.assign(next.hostId));
  }

  /** Joined control-plane hosts by hostId, those with a stalled command last (they would stall this too). */
  private candidates(): HostRecordView[] {
    const cps = this.state.hostsIn('Joined').filter((h) => h.role === 'control-plane');
    const stalled = this.state.stalled;
    return [...cps.filter((h) => !stalled.has(h.hostId)), ...cps.filter((h) => stalled.has(h.hostId))];
  }

  private async assign(hostId: string): Promise<void> {
    const { state } = this;
    const spec = state.spec;
    try {
      await hostActivities(hostId, state.options.hostActivityTimeoutMs).assignVip({ spec });
    } catch (err) {
      this.failedAt.set(hostId, Date.now());
      this.failures[hostId] = describeFailure(err).message;
      return;
    }
    this.failedAt.delete(hostId);
    const previous = state.vipHolder;
    const holder = previous ? state.host(previous) : undefined;
    const me = state.host(hostId);
    if (previous === hostId) return;
    if (holder?.state === 'Joined' || me?.state !== 'Joined') {
      // Someone else took it meanwhile, or this host left: give the address back.
      this.release(hostId);
      return;
    }
    state.moveVip(previous, hostId, vipMoveReason(previous, holder?.state), summarizeMap(this.failures));
    for (const k of Object.keys(this.failures)) delete this.failures[k];
    // A Removing holder releases the VIP in its teardown; a Lost one is asked here.
    if (previous !== null && holder && holder.state !== 'Removing') this.release(previous);
  }

  /** Best effort, in the background: a holder that is gone cannot answer anyway. */
  private release(hostId: string): void {
    const { state } = this;
    this.ops.start('release', hostId, () =>
      hostActivities(hostId, state.options.hostActivityTimeoutMs)
        .releaseVip({ spec: state.spec })
        .then(
          () => undefined,
          () => undefined,
        ),
    );
  }
}
