// The site VIP election of the fake hosts (issue 13), in process: what the agents' electors would decide from
// the policies the cluster pushed to them, reported to the cluster workflow as the control worker's relay
// would (vipReport signal, per-host seq). Simplified from src/agent/vip/election.ts but with its safety
// rules: a host counts only for the policy version it has, the holder needs a strict majority of that
// version's voters on that version, and a host that is down neither holds nor reports until it is back
// (its reports wait, as MQTT.js queues them).
import type { Client } from '@temporalio/client';
import { vipReportSignal } from '../../../src/contract/workflow-messages.js';
import { clusterWorkflowId } from '../../../src/domain/ids.js';
import type { SiteVipPolicyInput, SiteVipReason, VipReport } from '../../../src/domain/site-vip.js';
import type { FakeHost } from './fake-host.js';

export interface SiteReport extends VipReport {
  hostId: string;
}

export class FakeSite {
  /** Every report sent, in order (tests read it). */
  readonly sent: SiteReport[] = [];
  /** A scripted handover: a claim after a release (HolderReleased) is reported this much later than the
   * release, as a real site's is (the new holder's DAD and first adverts, 0.3-0.5 s); 0: right after it. */
  handoverGapMs = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Clusters that had a holder, and hosts that held (for the claim's reason). */
  private readonly hadHolder = new Set<string>();
  private readonly held = new Set<string>();

  constructor(
    private readonly client: Client,
    private readonly hosts: () => readonly FakeHost[],
  ) {}

  /** A host got a policy with its peer table (older versions are ignored, as the agent does). */
  onPolicy(host: FakeHost, cluster: string, policy: SiteVipPolicyInput): void {
    if (host.vipPolicy && host.vipCluster === cluster && host.vipPolicy.policyVersion >= policy.policyVersion)
      return;
    if (host.vipCluster !== cluster) host.hasVip = false; // a new cluster: the old one's election is gone
    host.vipPolicy = policy;
    host.vipCluster = cluster;
    this.evaluate(cluster);
  }

  /** Teardown: the host's elector stops and releases the VIP. */
  onStopped(host: FakeHost): void {
    const cluster = host.vipCluster;
    if (!cluster) return;
    if (host.hasVip) this.release(host, 'Stopped');
    host.vipPolicy = null;
    this.evaluate(cluster);
  }

  /** Power a host off (down) or on: a down host is neither seen nor heard, its queued reports go out when
   * it is back. */
  setDown(host: FakeHost, down: boolean): void {
    host.siteDown = down;
    // Its address lapses with its lease; the release is reported when it is back.
    if (down && host.hasVip) this.release(host, 'QuorumLost');
    if (!down) {
      const queued = host.queuedReports.splice(0);
      for (const r of queued) this.send(r);
    }
    if (host.vipCluster) this.evaluate(host.vipCluster);
  }

  /** Waits until every report sent so far has been signalled. */
  settled(): Promise<void> {
    return this.chain;
  }

  private evaluate(cluster: string): void {
    const members = this.hosts().filter((h) => h.vipCluster === cluster && h.vipPolicy !== null);
    const newest = members.reduce<SiteVipPolicyInput | null>(
      (best, h) => (best === null || h.vipPolicy!.policyVersion > best.policyVersion ? h.vipPolicy : best),
      null,
    );
    const current = members.find((h) => h.hasVip) ?? null;
    let next: FakeHost | null = null;
    let quorum = false;
    if (newest) {
      quorum = hasMajority(newest, members);
      const ranked = [...newest.eligible].sort((a, b) => b.priority - a.priority);
      if (quorum) next = ranked.map((e) => onVersion(newest, members, e.hostId)).find((h) => h) ?? null;
    }
    if (next === current) return;
    // The holder counts the votes of its own version, as the agent does: a newer policy reaching a host
    // that had no say in it (a newcomer) is no loss of quorum while the holder's version keeps a majority.
    if (current?.vipPolicy && next === null && hasMajority(current.vipPolicy, members)) return;
    if (current) {
      const eligible = newest?.eligible.some((e) => e.hostId === current.hostId) ?? false;
      this.release(current, !quorum ? 'QuorumLost' : !eligible ? 'NotEligible' : 'Outranked');
    }
    if (next) {
      const lost = this.hosts().some(
        (h) => h.vipCluster === cluster && h.siteDown && this.held.has(h.hostId),
      );
      const reason: SiteVipReason = !this.hadHolder.has(cluster)
        ? 'Initial'
        : lost
          ? 'HolderLost'
          : 'HolderReleased';
      next.hasVip = true;
      this.hadHolder.add(cluster);
      this.held.add(next.hostId);
      this.report(next, true, reason);
    }
  }

  private release(host: FakeHost, reason: SiteVipReason): void {
    host.hasVip = false;
    this.report(host, false, reason);
  }

  private report(host: FakeHost, holding: boolean, reason: SiteVipReason): void {
    host.vipSeq += 1;
    const r: SiteReport = {
      hostId: host.hostId,
      cluster: host.vipCluster!,
      seq: host.vipSeq,
      holding,
      reason,
      at: Date.now(),
      policyVersion: host.vipPolicy?.policyVersion ?? 1,
    };
    if (host.siteDown) host.queuedReports.push(r);
    else this.send(r, holding && reason === 'HolderReleased' ? this.handoverGapMs : 0);
  }

  private send(r: SiteReport, afterMs = 0): void {
    this.sent.push(r);
    const handle = this.client.workflow.getHandle(clusterWorkflowId(r.cluster));
    const gap = () => new Promise<void>((done) => setTimeout(done, afterMs));
    const ready = afterMs > 0 ? this.chain.then(gap) : this.chain;
    this.chain = ready.then(() => handle.signal(vipReportSignal, r).catch(() => undefined));
  }
}

/** The member `id` when it is up and on `policy`'s version (it counts for that version only). */
const onVersion = (policy: SiteVipPolicyInput, members: readonly FakeHost[], id: string) =>
  members.find((h) => h.hostId === id && !h.siteDown && h.vipPolicy?.policyVersion === policy.policyVersion);

/** A strict majority of `policy`'s voters are up and on its version. */
const hasMajority = (policy: SiteVipPolicyInput, members: readonly FakeHost[]): boolean =>
  policy.voters.filter((id) => onVersion(policy, members, id)).length * 2 > policy.voters.length;
