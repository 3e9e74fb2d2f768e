// When this host gains or loses the VIP, as the kernel has it: a gain is reported once the claim's
// address is in place (not when it is decided), a loss once the release went through. The agent turns
// these into VipMoved reports for the control plane.
import type { Logger } from 'pino';
import type { VipReason } from './election-types.js';

export interface VipTransition {
  holding: boolean;
  /** Why (the election's reason), or Stopped: the elector was stopped with release. */
  reason: VipReason | 'Stopped';
  /** Wall clock (Date.now()), for reports. */
  at: number;
}

export class TransitionReporter {
  private held = false;
  private pendingReason: VipReason | undefined;

  constructor(
    private readonly log: Logger,
    private readonly onTransition?: (t: VipTransition) => void,
  ) {}

  get holding(): boolean {
    return this.held;
  }

  /** The first kernel read: a VIP already there (a previous run's) counts as held, without an event. */
  initial(kernelHolding: boolean): void {
    this.held = kernelHolding;
  }

  /** A claim was decided; its reason is reported when the address is confirmed in place. */
  claiming(reason: VipReason): void {
    this.pendingReason = reason;
  }

  /** The claimed address is in the kernel. */
  confirm(): void {
    if (this.held || !this.pendingReason) return;
    const reason = this.pendingReason;
    this.pendingReason = undefined;
    this.emit(true, reason);
  }

  /** The address was released (or given up on stop). */
  report(holding: false, reason: VipReason | 'Stopped'): void {
    this.pendingReason = undefined;
    if (this.held) this.emit(holding, reason);
  }

  private emit(holding: boolean, reason: VipReason | 'Stopped'): void {
    this.held = holding;
    const t: VipTransition = { holding, reason, at: Date.now() };
    this.log.info({ holding, reason }, holding ? 'vip claimed' : 'vip released');
    try {
      this.onTransition?.(t);
    } catch (err) {
      this.log.error({ err }, 'vip transition callback failed');
    }
  }
}
