// A host removed from its cluster while its agent was offline would keep (and re-apply at every boot)
// the old overlay, VIP and beacon key. Each registration answer says which cluster the control plane
// counts the host in; when that is not the cluster of the stored overlay, the agent tears it down.
import type { Logger } from 'pino';
import type { HostActivities } from '../activities/host/contract.js';
import type { AgentState } from './state.js';

/** What the guard needs of a registration answer (the HostRecord, or the API's JSON of it). */
export interface Membership {
  cluster: string | null;
}

export interface MembershipGuardOptions {
  /** The agent's state as of now (StateStore.current). */
  state: () => AgentState;
  log: Logger;
}

export interface MembershipGuard {
  /** Overlay-changing activities wait while a stale overlay is being torn down (and vice versa). */
  bind(activities: HostActivities): HostActivities;
  /** Call just before a registration is sent; give the returned function the answer. */
  beforeRegister(): (answer: Membership) => Promise<void>;
}

/** Shared/exclusive gate: activities share it; the stale teardown runs alone. */
class Gate {
  private active = 0;
  private closed: Promise<void> | null = null;
  private idle: Array<() => void> = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      if (this.active === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    let open = () => {};
    this.closed = new Promise<void>((resolve) => {
      open = resolve;
    });
    try {
      while (this.active > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
      return await fn();
    } finally {
      this.closed = null;
      open();
    }
  }
}

export function createMembershipGuard(o: MembershipGuardOptions): MembershipGuard {
  const gate = new Gate();
  let inner: HostActivities | undefined;

  const tearDownIfStale = async (seen: AgentState['overlay'], answer: Membership) => {
    if (!seen || answer.cluster === seen.spec.clusterName || !inner) return;
    const teardown = inner.teardown;
    await gate.exclusive(async () => {
      // an overlay applied after the registration was sent is newer than the answer: keep it
      if (o.state().overlay !== seen) return;
      const cluster = seen.spec.clusterName;
      o.log.warn(
        { cluster, registeredCluster: answer.cluster },
        `the control plane no longer counts this host in cluster ${cluster}: tearing down its overlay and VIP`,
      );
      const result = await teardown({ spec: seen.spec });
      o.log.info({ cluster, changed: result.changed }, 'stale overlay torn down, state cleared');
    });
  };

  return {
    bind(a) {
      inner = a;
      return {
        ...a,
        applyOverlay: (input) => gate.shared(() => a.applyOverlay(input)),
        setPeers: (input) => gate.shared(() => a.setPeers(input)),
        assignVip: (input) => gate.shared(() => a.assignVip(input)),
        releaseVip: (input) => gate.shared(() => a.releaseVip(input)),
        teardown: (input) => gate.shared(() => a.teardown(input)),
      };
    },
    beforeRegister() {
      const seen = o.state().overlay;
      return (answer) => tearDownIfStale(seen, answer);
    },
  };
}
