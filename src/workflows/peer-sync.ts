// Peer-table pushes in the background (since 'control-plane-truth'): every Joined host whose applied table
// (digest) differs from the desired one gets its table, each push on its own; a round of pushes is recorded
// as OverlayReconciled once each of its hosts has answered or stalled, so a hanging host is listed as
// pending instead of holding the record (and the loop) up. Failed pushes are retried after retryIntervalMs.
import { patched } from '@temporalio/workflow';
import { summarizeIds, summarizeMap } from '../domain/event-log.js';
import { peerTableDigest } from '../domain/peer-digest.js';
import { nextFutureRetry, retryDue } from '../domain/retry.js';
import type { ProbePeersResult } from '../activities/host/contract.js';
import type { PeerTableRef } from '../domain/peer-source.js';
import type { Peer } from '../domain/types.js';
import { type HostProxies, hostActivities } from './activity-options.js';
import { peerRefNow, usePeerRefs } from './peer-refs.js';
import type { ClusterState } from './cluster-state.js';
import { describeFailure } from './failures.js';
import type { HostOps } from './host-ops.js';
import { pushRoom, pushWaveSize, REF_PUSH_WAVE } from './push-waves.js';
import type { SiteVipState } from './site-vip-state.js';

export type RoundTrigger = 'UnderlayChanged' | 'Membership' | 'HostRemoved' | 'Retry' | 'HostRecovered';

interface Round {
  trigger: RoundTrigger;
  changedHosts: string[];
  targets: string[];
  started: number;
  pushed: string[];
  failed: Record<string, string>;
  unreachable: Record<string, string[]>;
  /** Targets whose push waits for room in the wave (since 'bounded-push-waves'). */
  queued: Array<{ hostId: string; check: boolean; digest: string }>;
}

/** Since 'peer-tables-by-reference': the push carries a reference, and the digest of the table it asks for. */
interface ByRef {
  ref: PeerTableRef;
  digest: string;
}

export class PeerSync {
  private readonly rounds: Round[] = [];
  private readonly failedAt = new Map<string, number>();
  /** Hosts whose last checked push failed: their retry checks again. */
  private readonly recheck = new Set<string>();
  /** Hosts whose underlay change waits for its round. */
  private readonly changed: string[] = [];

  /** Since 'bounded-push-waves': pushes start in waves (push-waves.ts); before, all at once. */
  private readonly waves: boolean;

  constructor(
    private readonly state: ClusterState,
    private readonly ops: HostOps,
    /** Since 'site-vip-election': voters get the election's policy with their table. */
    private readonly siteVip: SiteVipState | null = null,
  ) {
    this.waves = patched('bounded-push-waves');
    this.refs = usePeerRefs();
  }

  /** Since 'peer-tables-by-reference' (peer-refs.ts): no table in any command. */
  private readonly refs: boolean;

  private isQueued(hostId: string): boolean {
    return this.rounds.some((r) => r.queued.some((q) => q.hostId === hostId));
  }

  /** How many more pushes may start now (unbounded before 'bounded-push-waves'). */
  private room(): number {
    if (!this.waves) return Number.POSITIVE_INFINITY;
    const running = this.ops.hostsRunning('push').filter((id) => !this.ops.isStalled('push', id));
    const wave = this.refs ? REF_PUSH_WAVE : pushWaveSize(this.state.hostsIn('Joined').length);
    return pushRoom(wave, running.length);
  }

  /** Starts queued pushes of open rounds, oldest first, while the wave has room; a host that left the
   * Joined set meanwhile is dropped from the queue (its round no longer waits for it). */
  private startQueued(): void {
    let room = this.room();
    const joined = new Set(this.state.hostsIn('Joined').map((h) => h.hostId));
    let ref: PeerTableRef | null = null; // made once, when the first queued push starts
    for (const round of this.rounds) {
      while (room > 0 && round.queued.length > 0) {
        const { hostId, check, digest } = round.queued.shift()!;
        if (!joined.has(hostId)) continue;
        if (this.refs) ref ??= peerRefNow(this.state);
        const by = ref ? { ref, digest } : null;
        if (this.ops.start('push', hostId, () => this.push(hostId, round, check, by))) room -= 1;
      }
    }
  }

  /** Hosts that need their table (or, a voter, the current VIP policy) and are not being pushed to (nor
   * waiting for a retry). */
  private targets(now: number): { hostId: string; digest: string }[] {
    const { state, siteVip } = this;
    const desired = state.desiredDigests();
    const retryMs = state.options.retryIntervalMs;
    const due = (id: string) => state.appliedDigest(id) !== desired[id] || siteVip?.needsPush(id) === true;
    return state
      .hostsIn('Joined')
      .filter((h) => desired[h.hostId] !== undefined && due(h.hostId))
      .filter((h) => !this.ops.busy('push', h.hostId) && !this.isQueued(h.hostId))
      .filter((h) => retryDue(this.failedAt.get(h.hostId), now, retryMs, state.quiescing))
      .map((h) => ({ hostId: h.hostId, digest: desired[h.hostId]! }));
  }

  /** Starts every push that is due; pushes after an underlay change also probe the joined peers. Changed
   * hosts whose pushes cannot start yet (a push in flight) are carried to the next round. */
  step(trigger: RoundTrigger, changedHosts: string[] = []): void {
    const now = Date.now();
    if (this.waves) this.startQueued();
    this.changed.push(...changedHosts.filter((id) => !this.changed.includes(id)));
    const due = this.targets(now);
    if (due.length === 0) {
      if (this.changed.length > 0 && this.ops.hostsRunning('push').length === 0) {
        this.record({ ...emptyRound('UnderlayChanged', now), changedHosts: this.takeChanged() });
      }
      return;
    }
    const verify = this.changed.length > 0;
    const round: Round = {
      ...emptyRound(verify ? 'UnderlayChanged' : trigger, now),
      changedHosts: this.takeChanged(),
      targets: due.map((d) => d.hostId),
    };
    this.rounds.push(round);
    let room = this.room();
    const ref = this.refs ? peerRefNow(this.state) : null;
    for (const { hostId, digest } of due) {
      const check = verify || this.recheck.has(hostId);
      if (room <= 0) {
        round.queued.push({ hostId, check, digest });
        continue;
      }
      this.ops.start('push', hostId, () => this.push(hostId, round, check, ref ? { ref, digest } : null));
      room -= 1;
    }
  }

  private takeChanged(): string[] {
    return this.changed.splice(0).sort();
  }

  /** Records every round whose hosts have all answered or stalled. */
  closeRounds(): void {
    for (let i = 0; i < this.rounds.length; ) {
      const round = this.rounds[i]!;
      if (round.queued.length === 0 && this.ops.settledOrStalled('push', round.targets)) {
        this.rounds.splice(i, 1);
        this.record(round);
      } else i++;
    }
  }

  /** Since 'ready-after-table-pushes': some Joined host's table is being pushed, queued or due, other than
   * hosts whose last push failed (retried later) or stalled: those are reported, the phase says Degraded. */
  tablesPending(): boolean {
    const { state } = this;
    const desired = state.desiredDigests();
    return state
      .hostsIn('Joined')
      .some(
        (h) =>
          desired[h.hostId] !== undefined &&
          state.appliedDigest(h.hostId) !== desired[h.hostId] &&
          !this.failedAt.has(h.hostId) &&
          !this.ops.isStalled('push', h.hostId),
      );
  }

  /** True while an underlay change waits for its round or a round for one is open (phase Recovering). */
  reconciling(): boolean {
    return this.changed.length > 0 || this.rounds.some((r) => r.trigger === 'UnderlayChanged');
  }

  /** When the earliest failed push may be retried, or null. */
  nextRetry(): number | null {
    const { state } = this;
    return state.quiescing
      ? null
      : nextFutureRetry(this.failedAt.values(), state.options.retryIntervalMs, Date.now());
  }

  private async push(hostId: string, round: Round, verify: boolean, by: ByRef | null): Promise<void> {
    const { state } = this;
    // Before 'peer-tables-by-reference' the table itself (N entries per push, N² per round in history).
    const peers = by ? null : state.peersFor(hostId);
    const host = hostActivities(hostId, state.options.hostActivityTimeoutMs);
    // Since 'probe-with-push' the verify probe rides on the push (one round trip to the host, not two); an
    // agent that predates it answers without a probe, and the separate probe follows as before.
    const withPush = verify && patched('probe-with-push');
    const vip = this.siteVip?.policyFor(hostId);
    if (vip) this.siteVip!.markSent(hostId, vip.policyVersion);
    try {
      const result = await host.setPeers({
        spec: state.spec,
        ...(by ? { peersFrom: by.ref } : { peers: peers! }),
        ...(withPush ? { probe: true } : {}),
        ...(vip ? { vip } : {}),
      });
      if (verify) {
        // By reference the probe rides on the push only (an agent that predates it is not probed: a
        // separate probe would put the N targets back into history).
        const { probe, counted } = peers
          ? await probeTable(host, state, peers, result.probe)
          : { probe: result.probe, counted: undefined };
        // the host probed its whole table: a peer that is still joining does not count as unreachable.
        // The Joined set (N entries) is made only when a peer did not answer: at 1000 hosts a verify round
        // made it once per push, a million entries for answers that were nearly all empty.
        const silent = probe?.unreachable ?? [];
        if (silent.length > 0) {
          const counts = counted ?? joinedIps(state, hostId);
          const unreachable = silent.filter((ip) => counts.has(ip));
          if (unreachable.length > 0) round.unreachable[hostId] = unreachable;
        }
      }
      if (!state.host(hostId)) return; // removed meanwhile
      this.failedAt.delete(hostId);
      this.recheck.delete(hostId);
      // By reference the relay may have sent a newer table than asked for: the host says which it applied.
      const applied = by ? (!result.stale && result.digest) || by.digest : peerTableDigest(peers!);
      state.markPushed(hostId, applied);
      if (vip) this.siteVip!.markAcked(hostId, vip.policyVersion);
      round.pushed.push(hostId);
    } catch (err) {
      if (!state.host(hostId)) return;
      this.failedAt.set(hostId, Date.now());
      if (verify) this.recheck.add(hostId);
      state.markPushFailed(hostId);
      round.failed[hostId] = describeFailure(err).message;
    }
  }

  private record(round: Round): void {
    const pending = round.targets.filter(
      (id) => !round.pushed.includes(id) && round.failed[id] === undefined && this.state.host(id),
    );
    this.state.record('OverlayReconciled', {
      trigger: round.trigger,
      ...(round.changedHosts.length > 0 ? { changedHosts: summarizeIds(round.changedHosts) } : {}),
      pushedTo: summarizeIds(round.pushed.sort()),
      failed: summarizeMap(round.failed),
      unreachable: summarizeMap(
        Object.fromEntries(Object.entries(round.unreachable).map(([k, v]) => [k, v.join(', ')])),
      ),
      pending: summarizeIds(pending),
      durationMs: Date.now() - round.started,
    });
  }
}

/** Before 'peer-tables-by-reference': the Joined peers of the table sent, probed separately when the host
 * did not probe with the push (an agent that predates 'probe-with-push'). */
async function probeTable(
  host: HostProxies,
  state: ClusterState,
  peers: Peer[],
  probe: ProbePeersResult | undefined,
): Promise<{ probe: ProbePeersResult | undefined; counted: Set<string> }> {
  const joined = new Set(state.hostsIn('Joined').map((h) => h.hostId));
  const targets = peers.filter((p) => joined.has(p.hostId)).map((p) => p.overlayIp);
  if (!probe && targets.length > 0) probe = await host.probePeers({ targets });
  return { probe, counted: new Set(targets) };
}

/** The overlay IPs of the Joined hosts other than this one. */
const joinedIps = (state: ClusterState, hostId: string): Set<string> =>
  new Set(
    state
      .hostsIn('Joined')
      .filter((h) => h.hostId !== hostId)
      .map((h) => h.overlayIp),
  );

const emptyRound = (trigger: RoundTrigger, started: number): Round => ({
  trigger,
  changedHosts: [],
  targets: [],
  started,
  pushed: [],
  failed: {},
  unreachable: {},
  queued: [],
});
