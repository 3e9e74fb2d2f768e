// Read access to one cluster's state: the snapshot stays private to the ClusterState hierarchy; the rest of
// the workflow sees read-only views and changes state only through ClusterState's named methods.
import type { ClusterOptions } from '../domain/cluster-options.js';
import type { StatusSnapshot } from '../domain/cluster-status.js';
import { type ClusterSnapshot, clusterView, type HostEntry } from '../domain/cluster-snapshot.js';
import { freeCount } from '../domain/ipam.js';
import { desiredDigests } from '../domain/peer-digest.js';
import { desiredPeers, peeringEntries } from '../domain/peer-plan.js';
import { type PeerTableSource, peerSourceOf } from '../domain/peer-source.js';
import type {
  ClusterPhase,
  ClusterView,
  DomainEvent,
  HostState,
  OverlaySpec,
  Peer,
} from '../domain/types.js';

/** A host as the rest of the workflow sees it: read-only, changed only through ClusterState. */
export type HostRecordView = Readonly<HostEntry>;

/** Hosts whose commands are stalled, by host: what the status and the events report. */
export type StalledHosts = ReadonlyMap<string, string[]>;

export abstract class ClusterStateReads {
  protected index = new Map<string, HostEntry>();
  /** Hosts with a command running past stallAfterMs (set by host-ops). */
  protected stalledHosts: StalledHosts = new Map();
  /** Continue-as-new waits for work in flight: failed commands are not retried. */
  protected quiescingNow = false;
  /** An underlay change is being reconciled (phase Recovering). */
  protected reconcilingNow = false;
  /** Since 'ready-after-table-pushes': asked at every status refresh (PeerSync.tablesPending). */
  protected tablesPendingNow: () => boolean = () => false;

  constructor(protected readonly s: ClusterSnapshot) {
    this.reindex();
  }

  // ---- reads -------------------------------------------------------------------------------------------
  get name(): string {
    return this.s.spec.clusterName;
  }
  get spec(): Readonly<OverlaySpec> {
    return this.s.spec;
  }
  get options(): Readonly<ClusterOptions> {
    return this.s.options;
  }
  get vipHolder(): string | null {
    return this.s.vipHolder;
  }
  get phase(): ClusterPhase {
    return this.s.phase;
  }
  get deleting(): boolean {
    return this.s.deleting;
  }
  get hosts(): readonly HostRecordView[] {
    return this.s.hosts;
  }
  get events(): readonly DomainEvent[] {
    return this.s.events;
  }
  get reconcileFailures(): readonly string[] {
    return this.s.reconcileFailures;
  }
  get stalled(): StalledHosts {
    return this.stalledHosts;
  }
  get quiescing(): boolean {
    return this.quiescingNow;
  }
  /** Overlay addresses still free for new members. */
  get freeAddresses(): number {
    return freeCount(this.s.ipam);
  }
  hasPendingUnderlay(): boolean {
    return Object.keys(this.s.pendingUnderlay).length > 0;
  }
  /** Digest of the peer table last pushed to the host successfully, if any. */
  appliedDigest(hostId: string): string | undefined {
    return this.s.appliedDigest[hostId];
  }
  host(hostId: string): HostRecordView | undefined {
    return this.index.get(hostId);
  }
  hostsIn(...states: HostState[]): HostRecordView[] {
    return this.s.hosts.filter((h) => states.includes(h.state));
  }
  /** The snapshot itself, for continue-as-new only (encodeSnapshot, or as is for runs before v4). */
  snapshot(): Readonly<ClusterSnapshot> {
    return this.s;
  }

  /** The table one host should have now. */
  peersFor(hostId: string): Peer[] {
    return desiredPeers(this.s.hosts, hostId);
  }

  /** Digest of the table every peering host should have now (O(N), see domain/peer-digest). */
  desiredDigests(): Record<string, string> {
    return desiredDigests(peeringEntries(this.s.hosts));
  }

  /** The peering set as the relay cuts tables from it (peerTableSource query, references). */
  peerSource(): PeerTableSource {
    return peerSourceOf(this.s.hosts);
  }

  view(): ClusterView {
    return clusterView(this.s);
  }

  /** What the phase and the conditions are computed from (domain/cluster-status). */
  protected statusInput(reconciling: boolean): StatusSnapshot {
    return {
      deleting: this.s.deleting,
      initializing: !this.s.initialized,
      reconciling: reconciling || this.reconcilingNow || this.hasPendingUnderlay(),
      reconcileFailures: this.s.reconcileFailures,
      hosts: this.s.hosts,
      vipHolder: this.s.vipHolder,
      stalled: [...this.stalledHosts.keys()],
      tablesPending: this.tablesPendingNow(),
      ...(this.s.phaseSettled ? { settled: this.s.phaseSettled } : {}),
    };
  }

  protected reindex(): void {
    this.index = new Map(this.s.hosts.map((h) => [h.hostId, h]));
  }
}
