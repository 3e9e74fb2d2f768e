// The state of one cluster entity and its bookkeeping (events, status, peer-table digests). No Temporal
// calls here except reading workflow time through Date, which the sandbox makes replay-safe.
import { computeConditions, computePhase, type StatusSnapshot } from '../domain/cluster-status.js';
import type { ClusterSnapshot, HostEntry } from '../domain/cluster-snapshot.js';
import { appendEvent, makeEvent, summarizeIds } from '../domain/event-log.js';
import { allocate, release } from '../domain/ipam.js';
import { desiredDigests } from '../domain/peer-digest.js';
import { desiredPeers, peeringSet } from '../domain/peer-plan.js';
import type {
  ClusterPhase,
  ClusterView,
  DomainEvent,
  DomainEventType,
  HostState,
  Peer,
} from '../domain/types.js';

export type { ClusterSnapshot, HostEntry } from '../domain/cluster-snapshot.js';

export const nowIso = (): string => new Date().toISOString();

/** Hosts whose commands are stalled, by host: what the status and the events report. */
export type StalledHosts = ReadonlyMap<string, string[]>;

export class ClusterState {
  private index = new Map<string, HostEntry>();
  /** Set by the loop (host-ops): hosts with a command running past stallAfterMs. */
  stalled: StalledHosts = new Map();
  /** Set by the loop while continue-as-new waits for work in flight: failed commands are not retried. */
  quiescing = false;
  /** Set by the loop: an underlay change is being reconciled (phase Recovering). */
  reconciling = false;

  constructor(public s: ClusterSnapshot) {
    this.reindex();
  }

  get name(): string {
    return this.s.spec.clusterName;
  }
  host(hostId: string): HostEntry | undefined {
    return this.index.get(hostId);
  }
  hostsIn(...states: HostState[]): HostEntry[] {
    return this.s.hosts.filter((h) => states.includes(h.state));
  }

  record(type: DomainEventType, data: Record<string, unknown> = {}, hostId?: string): DomainEvent {
    const event = makeEvent(this.s.nextSeq++, nowIso(), type, data, hostId);
    this.s.events = appendEvent(this.s.events, event, this.s.options);
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
    this.reindex();
  }

  dropHost(hostId: string): void {
    this.s.ipam = release(this.s.ipam, hostId);
    this.s.hosts = this.s.hosts.filter((h) => h.hostId !== hostId);
    delete this.s.appliedDigest[hostId];
    delete this.s.pendingUnderlay[hostId];
    this.s.reconcileFailures = this.s.reconcileFailures.filter((h) => h !== hostId);
    this.reindex();
    // vipHolder stays until the VIP step moves it, so it can tell a removed holder from a first assignment.
  }

  /** Applies every coalesced underlay report: records UnderlayChanged per host whose address moved and
   * returns those hosts (sorted). */
  takeUnderlayBatch(): string[] {
    const batch = this.s.pendingUnderlay;
    this.s.pendingUnderlay = {};
    const changed: string[] = [];
    for (const [hostId, underlayIp] of Object.entries(batch).sort(([a], [b]) => a.localeCompare(b))) {
      const host = this.host(hostId);
      if (!host || host.underlayIp === underlayIp) continue;
      this.record(
        'UnderlayChanged',
        { from: host.underlayIp, to: underlayIp, overlayIp: host.overlayIp },
        hostId,
      );
      host.underlayIp = underlayIp;
      changed.push(hostId);
    }
    return changed;
  }

  /** The first event of a cluster. */
  recordCreated(input: {
    overlayCidr: string;
    vni: number;
    mode: string;
    hosts: Array<{ hostId: string }>;
  }): void {
    this.record('ClusterCreated', {
      overlayCidr: input.overlayCidr,
      vni: input.vni,
      mode: input.mode,
      vip: this.s.spec.vip,
      hosts: summarizeIds(input.hosts.map((h) => h.hostId)),
    });
  }

  /** The table one host should have now. */
  peersFor(hostId: string): Peer[] {
    return desiredPeers(this.s.hosts, hostId);
  }

  /** Digest of the table every peering host should have now (O(N), see domain/peer-digest). */
  desiredDigests(): Record<string, string> {
    return desiredDigests(peeringSet(this.s.hosts));
  }

  /** Records a successful push of `digest` to a host and clears its failure. */
  markPushed(hostId: string, digest: string): void {
    this.s.appliedDigest[hostId] = digest;
    this.s.reconcileFailures = this.s.reconcileFailures.filter((h) => h !== hostId);
  }

  /** A failed push or check: the host gets its table again on the next retry. */
  markPushFailed(hostId: string): void {
    delete this.s.appliedDigest[hostId];
    if (!this.s.reconcileFailures.includes(hostId)) {
      this.s.reconcileFailures = [...this.s.reconcileFailures, hostId].sort();
    }
  }

  /** Recomputes phase and conditions; returns the new phase when it changed (an event is recorded). */
  refreshStatus(reconciling = false): ClusterPhase | null {
    const snapshot: StatusSnapshot = {
      deleting: this.s.deleting,
      initializing: !this.s.initialized,
      reconciling: reconciling || this.reconciling || Object.keys(this.s.pendingUnderlay).length > 0,
      reconcileFailures: this.s.reconcileFailures,
      hosts: this.s.hosts,
      vipHolder: this.s.vipHolder,
      stalled: [...this.stalled.keys()],
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

  private reindex(): void {
    this.index = new Map(this.s.hosts.map((h) => [h.hostId, h]));
  }
}
