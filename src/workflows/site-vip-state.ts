// The site VIP election as the cluster workflow keeps it (since 'site-vip-election', decided once when the
// cluster is created and carried across continue-as-new): the policy its control-plane hosts elect under
// (sent with their peer tables by PeerSync) and the holder they report. The control plane never assigns the
// VIP here; it only records what the hosts say. Rules in src/domain/site-vip-policy.ts.
import { log } from '@temporalio/workflow';
import { summarizeIds } from '../domain/event-log.js';
import { type VipReportSignal, vipReportSignalSchema } from '../domain/site-vip.js';
import {
  emptySiteVip,
  nextPolicy,
  policyOf,
  reportEffect,
  type SiteVipSnapshot,
  targetVoters,
  type VipMember,
} from '../domain/site-vip-policy.js';
import type { HostSpec } from '../domain/types.js';
import type { ClusterState } from './cluster-state.js';
import { safeParseSignal } from './validate.js';

export const SITE_VIP_PATCH = 'site-vip-election';

/** The first site-VIP state of a new cluster: control-plane hosts ranked in the create request's order. */
export const initialSiteVip = (hosts: readonly HostSpec[]): SiteVipSnapshot =>
  emptySiteVip(hosts.filter((h) => h.role === 'control-plane').map((h) => h.hostId));

export class SiteVipState {
  constructor(
    private readonly state: ClusterState,
    private readonly s: SiteVipSnapshot,
    private readonly wake: () => void,
  ) {}

  get policyVersion(): number {
    return this.s.policyVersion;
  }
  get voters(): readonly string[] {
    return this.s.voters;
  }

  /** Control-plane hosts added by a request rank after those before them, in the request's order. */
  noteRequested(hosts: readonly HostSpec[]): void {
    for (const h of hosts) {
      if (h.role === 'control-plane' && !this.s.order.includes(h.hostId)) this.s.order.push(h.hostId);
    }
  }

  /** Brings the state in line with the membership (called by the loop on every pass, O(hosts)): forgets
   * hosts that left, moves the record off a holder that was removed, and issues the next policy version when
   * the voters or eligible hosts should change (one voter at a time, see site-vip-policy). */
  step(): void {
    const { state, s } = this;
    const members = new Map<string, VipMember>(state.hosts.map((h) => [h.hostId, h]));
    s.order = s.order.filter((id) => members.get(id)?.role === 'control-plane');
    for (const h of state.hosts) {
      if (h.role === 'control-plane' && !s.order.includes(h.hostId)) s.order.push(h.hostId);
    }
    for (const map of [s.pushes, s.reports]) {
      for (const id of Object.keys(map)) if (!members.has(id)) delete map[id];
    }
    const holder = state.vipHolder;
    if (holder !== null && !members.has(holder) && !state.deleting) {
      // Its teardown stopped its elector (and released the VIP); its own report can no longer be taken.
      this.move(holder, this.holdingOthers(holder)[0] ?? null, 'HolderRemoved', {});
    }
    const next = nextPolicy(s, members);
    if (next === null) return;
    s.policyVersion += 1;
    s.voters = next.voters;
    s.eligible = next.eligible;
    const target = targetVoters(s.order, members);
    const stepping = target.length !== next.voters.length || target.some((id) => !next.voters.includes(id));
    state.record('VipPolicyChanged', {
      policyVersion: s.policyVersion,
      voters: summarizeIds(s.voters),
      eligible: summarizeIds(s.eligible),
      ...(stepping ? { targetVoters: summarizeIds(target) } : {}),
    });
  }

  /** The policy for a host's push: voters get it, everybody else none. */
  policyFor(hostId: string) {
    return this.s.policyVersion > 0 && this.s.voters.includes(hostId) ? policyOf(this.s) : undefined;
  }

  /** A voter that has not acknowledged the current version needs a push, even with its table unchanged. */
  needsPush(hostId: string): boolean {
    if (this.policyFor(hostId) === undefined) return false;
    return (this.s.pushes[hostId]?.[1] ?? 0) < this.s.policyVersion;
  }

  markSent(hostId: string, version: number): void {
    const [sent, acked] = this.s.pushes[hostId] ?? [0, 0];
    this.s.pushes[hostId] = [Math.max(sent, version), acked];
  }

  /** The host's setPeers with this version succeeded. Wakes the loop: it may commit the version. */
  markAcked(hostId: string, version: number): void {
    if (!this.state.host(hostId)) return;
    const [sent, acked] = this.s.pushes[hostId] ?? [0, 0];
    this.s.pushes[hostId] = [Math.max(sent, version), Math.max(acked, version)];
    this.wake();
  }

  /** The vipReport signal: a host gained or lost the VIP. Hostile input is dropped with MessageRejected;
   * reports about another cluster, from non-members or non-control-plane hosts, and old or repeated ones
   * (seq not above the host's last) change nothing. */
  onReport(input: unknown): void {
    const report = safeParseSignal(this.state, 'vipReport', vipReportSignalSchema, input);
    if (!report) return;
    const { hostId } = report;
    const host = this.state.host(hostId);
    if (report.cluster !== this.state.name || host?.role !== 'control-plane') {
      log.warn('VIP report ignored: not a control-plane host of this cluster', {
        hostId,
        cluster: this.state.name,
      });
      return;
    }
    const last = this.s.reports[hostId];
    if (last !== undefined && report.seq <= last[0]) return; // duplicate or overtaken
    this.s.reports[hostId] = [report.seq, report.holding];
    this.apply(report);
  }

  private apply(report: VipReportSignal): void {
    const { hostId, holding, reason, at, policyVersion } = report;
    const effect = reportEffect(this.state.vipHolder, hostId, holding, this.holdingOthers(hostId));
    if (effect.kind === 'moved') this.move(effect.from, effect.to, reason, { at, policyVersion });
    else if (effect.kind === 'lateRelease') {
      this.state.record('VipReleased', { reason, at, policyVersion, late: true }, hostId);
    }
  }

  private move(from: string | null, to: string | null, reason: string, extra: Record<string, number>): void {
    this.state.setVipHolder(to, reason);
    const data = { from, to, vip: this.state.spec.vip, reason, ...extra };
    this.state.record('VipMoved', data, to ?? undefined);
    this.wake();
  }

  /** Members other than `hostId` whose last report says they hold the VIP, by rank. */
  private holdingOthers(hostId: string): string[] {
    return this.s.order.filter((id) => id !== hostId && this.s.reports[id]?.[1] === true);
  }
}
