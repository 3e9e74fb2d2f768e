// The state of one cluster entity and its bookkeeping (events, status, peer-table digests). Every change goes
// through a named method below; the snapshot itself is private to this class and ClusterStateReads
// (snapshot() hands it to continue-as-new). No Temporal calls here except reading workflow time through
// Date, which the sandbox makes replay-safe.
import { computeConditions, computePhase, isPlannedRelease } from '../domain/cluster-status.js';
import type { HostEntry } from '../domain/cluster-snapshot.js';
import { appendEvent, makeEvent, summarizeIds } from '../domain/event-log.js';
import { allocate, release } from '../domain/ipam.js';
import type { ClusterPhase, DomainEvent, DomainEventType } from '../domain/types.js';
import { ClusterStateReads, type StalledHosts } from './cluster-state-reads.js';

export type { ClusterSnapshot, HostEntry } from '../domain/cluster-snapshot.js';
export type { HostRecordView, StalledHosts } from './cluster-state-reads.js';

export const nowIso = (): string => new Date().toISOString();

/** How a join child ended: joined with the table it was given (as a digest), or failed. */
export type JoinSettlement =
  | { joined: { digest: string; overlayIp: string; mtu: number; probe: unknown } }
  | { failed: { type: string; message: string } };

export class ClusterState extends ClusterStateReads {
  // ---- events ------------------------------------------------------------------------------------------
  record(type: DomainEventType, data: Record<string, unknown> = {}, hostId?: string): DomainEvent {
    const event = makeEvent(this.s.nextSeq++, nowIso(), type, data, hostId);
    this.s.events = appendEvent(this.s.events, event, this.s.options);
    return event;
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

  // ---- cluster lifecycle -------------------------------------------------------------------------------
  setBeaconKey(key: string): void {
    this.s.spec.beaconKey = key;
  }
  /** The initial members are claimed and admitted. */
  markInitialized(): void {
    this.s.initialized = true;
  }
  /** Starts the deletion (ClusterDeleting); false when it had started already. */
  markDeleting(): boolean {
    if (this.s.deleting) return false;
    this.s.deleting = true;
    this.record('ClusterDeleting', { hosts: summarizeIds(this.s.hosts.map((h) => h.hostId)) });
    return true;
  }
  /** Loop status that the phase reflects (set by the loop before it publishes). */
  setReconciling(reconciling: boolean): void {
    this.reconcilingNow = reconciling;
  }
  watchTablesPending(pending: () => boolean): void {
    this.tablesPendingNow = pending;
  }
  setQuiescing(quiescing: boolean): void {
    this.quiescingNow = quiescing;
  }
  setStalled(stalled: StalledHosts): void {
    this.stalledHosts = stalled;
  }

  // ---- membership --------------------------------------------------------------------------------------
  /** New members get stable overlay IPs (hostId order) and enter Pending (or Failed with a reason). */
  addHosts(entries: Array<Omit<HostEntry, 'overlayIp'>>): void {
    this.s.ipam = allocate(
      this.s.ipam,
      entries.map((e) => e.hostId),
    );
    for (const e of entries) {
      const overlayIp = this.s.ipam.allocations[e.hostId]!;
      const existing = this.index.get(e.hostId);
      if (existing) Object.assign(existing, { ...e, overlayIp });
      else this.s.hosts.push({ ...e, overlayIp });
    }
    this.s.hosts.sort((a, b) => a.hostId.localeCompare(b.hostId));
    this.reindex();
  }

  /** The registry granted the host to this cluster, as it registered. */
  markClaimed(hostId: string, record: { underlayIp: string; lastSeen: string; underlaySeq?: number }): void {
    const h = this.index.get(hostId);
    if (!h) return;
    h.claimed = true;
    h.underlayIp = record.underlayIp;
    h.lastSeen = record.lastSeen;
    if (record.underlaySeq !== undefined) h.underlaySeq = record.underlaySeq;
  }

  /** Marks a member for removal; false when it is not a member or is being removed already. */
  markRemoving(hostId: string): boolean {
    const h = this.index.get(hostId);
    if (!h || h.state === 'Removing') return false;
    h.state = 'Removing';
    return true;
  }

  dropHost(hostId: string): void {
    this.s.ipam = release(this.s.ipam, hostId);
    this.s.hosts = this.s.hosts.filter((h) => h.hostId !== hostId);
    delete this.s.appliedDigest[hostId];
    delete this.s.pendingUnderlay[hostId];
    if (this.s.pendingSeq) delete this.s.pendingSeq[hostId];
    this.s.reconcileFailures = this.s.reconcileFailures.filter((h) => h !== hostId);
    this.reindex();
    // vipHolder stays until the VIP step moves it, so it can tell a removed holder from a first assignment.
  }

  // ---- joins, liveness ---------------------------------------------------------------------------------
  markJoining(hostIds: readonly string[]): void {
    for (const id of hostIds) {
      const h = this.index.get(id);
      if (h) h.state = 'Joining';
    }
  }

  /** Records HostJoined or HostJoinFailed, unless the host left Joining meanwhile (it is being removed). */
  settleJoin(hostId: string, outcome: JoinSettlement): void {
    const current = this.index.get(hostId);
    if (current?.state !== 'Joining') return;
    if ('failed' in outcome) {
      const { type, message } = outcome.failed;
      this.markJoinFailed(hostId, type, message, `${type}: ${message}`);
      return;
    }
    const { digest, overlayIp, mtu, probe } = outcome.joined;
    current.state = 'Joined';
    current.lastSeen = nowIso();
    delete current.reason;
    this.s.appliedDigest[hostId] = digest;
    this.record('HostJoined', { overlayIp, underlayIp: current.underlayIp, mtu, probe }, hostId);
  }

  /** The host is Failed with `reason`; HostJoinFailed carries the error type and message. */
  markJoinFailed(hostId: string, errorType: string, message: string, reason: string): void {
    const h = this.index.get(hostId);
    if (!h) return;
    h.state = 'Failed';
    h.reason = reason;
    this.record('HostJoinFailed', { errorType, message }, hostId);
  }

  /** Joined hosts that went silent become Lost (HostLost each, in the given order). */
  markLost(hostIds: readonly string[]): void {
    const timeoutMs = this.s.options.heartbeatTimeoutMs;
    for (const id of hostIds) {
      const h = this.index.get(id);
      if (!h) continue;
      h.state = 'Lost';
      this.record('HostLost', { lastSeen: h.lastSeen, timeoutMs }, id);
    }
  }

  /** v2: the broker saw the host go away (its Last Will): a Joined host becomes Lost (HostLost). */
  markOffline(hostId: string): boolean {
    const h = this.index.get(hostId);
    if (h?.state !== 'Joined') return false;
    h.state = 'Lost';
    this.record('HostLost', { lastSeen: h.lastSeen, reason: 'Offline' }, hostId);
    return true;
  }

  /** A heartbeat arrived now. */
  noteSeen(hostId: string): void {
    const h = this.index.get(hostId);
    if (h) h.lastSeen = nowIso();
  }

  /** A Lost host spoke again: Joined, and its table is pushed again (it may have rebooted). False when it
   * was not Lost. */
  recover(hostId: string, reportedUnderlay: string | undefined): boolean {
    const h = this.index.get(hostId);
    if (h?.state !== 'Lost') return false;
    h.state = 'Joined';
    delete this.s.appliedDigest[hostId];
    this.record('HostRecovered', { underlayIp: reportedUnderlay ?? h.underlayIp }, hostId);
    return true;
  }

  // ---- underlay ----------------------------------------------------------------------------------------
  /** Coalesces: only the newest address per host waits for the next reconciliation. True when it is new. */
  noteUnderlay(hostId: string, underlayIp: string, seq?: number): boolean {
    const host = this.index.get(hostId);
    if (!host) return false;
    // v2: a report older than the one this address came from changes nothing (the host workflow orders
    // reports already; this also holds for signals that were sent before a continue-as-new).
    const knownSeq = this.s.pendingSeq?.[hostId] ?? host.underlaySeq;
    if (seq !== undefined && knownSeq !== undefined && seq <= knownSeq) return false;
    const known = this.s.pendingUnderlay[hostId] ?? host.underlayIp;
    if (seq !== undefined) this.s.pendingSeq = { ...this.s.pendingSeq, [hostId]: seq };
    if (known === underlayIp) {
      if (seq !== undefined && !(hostId in this.s.pendingUnderlay)) host.underlaySeq = seq;
      return false;
    }
    this.s.pendingUnderlay[hostId] = underlayIp;
    return true;
  }

  /** Applies every coalesced underlay report: records UnderlayChanged per host whose address moved and
   * returns those hosts (sorted). */
  takeUnderlayBatch(): string[] {
    const batch = this.s.pendingUnderlay;
    const seqs = this.s.pendingSeq ?? {};
    this.s.pendingUnderlay = {};
    delete this.s.pendingSeq;
    const changed: string[] = [];
    for (const [hostId, underlayIp] of Object.entries(batch).sort(([a], [b]) => a.localeCompare(b))) {
      const host = this.index.get(hostId);
      if (host && seqs[hostId] !== undefined) host.underlaySeq = seqs[hostId];
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

  // ---- peer tables -------------------------------------------------------------------------------------
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

  /** Before v4: the host has the table with this digest (its failure is settled with the whole round). */
  noteApplied(hostId: string, digest: string): void {
    this.s.appliedDigest[hostId] = digest;
  }

  /** Before v4: the round that pushed to `targets` is over; `failed` are its failures. */
  settleReconcileRound(targets: readonly string[], failed: Iterable<string>): void {
    this.s.reconcileFailures = [
      ...this.s.reconcileFailures.filter((h) => !targets.includes(h)),
      ...failed,
    ].sort();
  }

  // ---- VIP ---------------------------------------------------------------------------------------------
  /** Without an event: the holder is cleared at deletion. `reason`: why the record changed (the site's
   * report or the workflow's own, VipMoved's reason); a planned release starts a handover for the phase. */
  setVipHolder(hostId: string | null, reason?: string): void {
    this.s.vipHolder = hostId;
    const past = this.s.phaseSettled;
    if (!past) return;
    // Noted here, not at the next refresh: a holder gained and lost within one activation still counts, and
    // the handover is decided by the record's last change, whatever came before it in the activation.
    if (hostId !== null) past.holderSeen = true;
    past.handover = hostId === null && reason !== undefined && isPlannedRelease(reason);
  }

  /** The VIP moved (VipMoved, with the new holder's id when there is one). */
  moveVip(from: string | null, to: string | null, reason: string, failures: Record<string, string>): void {
    this.setVipHolder(to, reason);
    const data = { from, to, vip: this.s.spec.vip, reason, failures };
    this.record('VipMoved', data, to ?? undefined);
  }

  // ---- status ------------------------------------------------------------------------------------------
  /** Recomputes phase and conditions; returns the new phase when it changed (an event is recorded). */
  refreshStatus(reconciling = false): ClusterPhase | null {
    const snapshot = this.statusInput(reconciling);
    this.s.conditions = computeConditions(snapshot, this.s.conditions, nowIso());
    const phase = computePhase(snapshot);
    if (phase === 'Ready' && this.s.phaseSettled) this.s.phaseSettled.wasReady = true;
    if (phase === this.s.phase) return null;
    this.record('PhaseChanged', { from: this.s.phase, to: phase });
    this.s.phase = phase;
    return phase;
  }
}
