// The state of one cluster entity and its bookkeeping (events, status). No Temporal calls here except
// reading workflow time through Date, which the sandbox makes replay-safe.
import type { ClusterOptions } from '../domain/cluster-options.js';
import { computeConditions, computePhase, type StatusSnapshot } from '../domain/cluster-status.js';
import { type IpamState, allocate, release } from '../domain/ipam.js';
import { type PlanHost, planPeerTables } from '../domain/peer-plan.js';
import type {
  ClusterPhase,
  ClusterView,
  Condition,
  DomainEvent,
  DomainEventType,
  HostState,
  HostView,
  OverlaySpec,
  Peer,
} from '../domain/types.js';

export interface HostEntry extends HostView {
  /** Why the host is Failed (error type and message). */
  reason?: string;
  /** The registry granted this cluster the host. Only claimed hosts are ever torn down: an unclaimed one
   * may carry another cluster's overlay (same device names). */
  claimed: boolean;
}

/** Everything continue-as-new carries to the next run. */
export interface ClusterSnapshot {
  spec: OverlaySpec;
  options: ClusterOptions;
  ipam: IpamState;
  hosts: HostEntry[];
  vipHolder: string | null;
  conditions: Condition[];
  events: DomainEvent[];
  nextSeq: number;
  /** hostId → peer table last pushed successfully. */
  appliedPeers: Record<string, Peer[]>;
  /** hostId → newest reported underlay address not yet reconciled (coalesced). */
  pendingUnderlay: Record<string, string>;
  reconcileFailures: string[];
  deleting: boolean;
  /** False until the initial members are claimed and admitted. */
  initialized: boolean;
  phase: ClusterPhase;
}

export const nowIso = (): string => new Date().toISOString();

export class ClusterState {
  constructor(public s: ClusterSnapshot) {}

  get name(): string {
    return this.s.spec.clusterName;
  }
  host(hostId: string): HostEntry | undefined {
    return this.s.hosts.find((h) => h.hostId === hostId);
  }
  hostsIn(...states: HostState[]): HostEntry[] {
    return this.s.hosts.filter((h) => states.includes(h.state));
  }

  record(type: DomainEventType, data: Record<string, unknown> = {}, hostId?: string): DomainEvent {
    const event: DomainEvent = { seq: this.s.nextSeq++, time: nowIso(), type, data };
    if (hostId !== undefined) event.hostId = hostId;
    this.s.events.push(event);
    const excess = this.s.events.length - this.s.options.maxEvents;
    if (excess > 0) this.s.events.splice(0, excess);
    return event;
  }

  /** New members get stable overlay IPs (hostId order) and enter Pending (or Failed with a reason). */
  addHosts(entries: Array<Omit<HostEntry, 'overlayIp'>>): void {
    this.s.ipam = allocate(
      this.s.ipam,
      entries.map((e) => e.hostId),
    );
    for (const e of entries) {
      const overlayIp = this.s.ipam.allocations[e.hostId]!;
      const existing = this.host(e.hostId);
      if (existing) Object.assign(existing, { ...e, overlayIp });
      else this.s.hosts.push({ ...e, overlayIp });
    }
    this.s.hosts.sort((a, b) => a.hostId.localeCompare(b.hostId));
  }

  dropHost(hostId: string): void {
    this.s.ipam = release(this.s.ipam, hostId);
    this.s.hosts = this.s.hosts.filter((h) => h.hostId !== hostId);
    delete this.s.appliedPeers[hostId];
    delete this.s.pendingUnderlay[hostId];
    this.s.reconcileFailures = this.s.reconcileFailures.filter((h) => h !== hostId);
    // vipHolder stays until the VIP step moves it, so it can tell a removed holder from a first assignment.
  }

  desiredPeers(): Record<string, Peer[]> {
    const plan: PlanHost[] = this.s.hosts;
    return planPeerTables(plan);
  }

  /** Recomputes phase and conditions; returns the new phase when it changed (an event is recorded). */
  refreshStatus(reconciling = false): ClusterPhase | null {
    const snapshot: StatusSnapshot = {
      deleting: this.s.deleting,
      initializing: !this.s.initialized,
      reconciling: reconciling || Object.keys(this.s.pendingUnderlay).length > 0,
      reconcileFailures: this.s.reconcileFailures,
      hosts: this.s.hosts,
      vipHolder: this.s.vipHolder,
    };
    const now = nowIso();
    this.s.conditions = computeConditions(snapshot, this.s.conditions, now);
    const phase = computePhase(snapshot);
    if (phase === this.s.phase) return null;
    this.record('PhaseChanged', { from: this.s.phase, to: phase });
    this.s.phase = phase;
    return phase;
  }

  view(): ClusterView {
    const { spec } = this.s;
    return {
      name: spec.clusterName,
      phase: this.s.phase,
      overlayCidr: spec.overlayCidr,
      vip: spec.vip,
      vipHolder: this.s.vipHolder,
      vni: spec.vni,
      mode: spec.mode,
      hosts: this.s.hosts.map((h) => ({
        hostId: h.hostId,
        role: h.role,
        overlayIp: h.overlayIp,
        underlayIp: h.underlayIp,
        state: h.state,
        lastSeen: h.lastSeen,
      })),
      conditions: this.s.conditions.map((c) => ({ ...c })),
    };
  }
}
