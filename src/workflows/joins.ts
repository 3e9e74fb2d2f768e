// Host joins: every Pending host gets a hostJoinWorkflow child; one host's failure never blocks or rolls back
// another. Since 'background-joins' the children run beside the main loop (JoinTracker) so a host that hangs
// cannot hold up reconciliation, removal or VIP moves; histories recorded before it replay joinPending,
// which the loop awaited.
import { condition, executeChild, patched } from '@temporalio/workflow';
import { hostJoinWorkflowId } from '../domain/ids.js';
import { peerTableDigest } from '../domain/peer-digest.js';
import { isPeering, peeringSet } from '../domain/peer-plan.js';
import type { PeerTableRef } from '../domain/peer-source.js';
import type { Peer } from '../domain/types.js';
import { childQueueOptions } from './activity-options.js';
import type { ClusterState, HostRecordView } from './cluster-state.js';
import { describeFailure } from './failures.js';
import { type HostJoinInput, type HostJoinResult, hostJoinWorkflow } from './host-join.js';
import type { HostOps } from './host-ops.js';
import { peerRefNow, usePeerRefs } from './peer-refs.js';
import type { PeerSync } from './peer-sync.js';
import { syncPeerTables } from './reconcile.js';

/** v2 change: push peer tables to joined hosts before starting joins (histories before it lack the marker). */
export const PEERS_BEFORE_JOIN_PATCH = 'peers-before-join';
/** v3 change: joins run in the background, tracked by JoinTracker (implies peers-before-join). */
export const BACKGROUND_JOINS_PATCH = 'background-joins';
/**
 * Since 'join-waves' at most JOIN_WAVE join children start per workflow task, the rest stay Pending for the
 * next one: starting 1000 children in one task ran past the 10 s workflow task timeout (the SDK captures a
 * stack per promise) and took the control worker down with it.
 */
export const JOIN_WAVES_PATCH = 'join-waves';
export const JOIN_WAVE = 100;

type JoinOutcome = { result: HostJoinResult; peers: Peer[] } | { error: unknown };

/** Starts joins for the Pending hosts: in the background (current) or awaited (histories before v3). */
export async function joinStep(state: ClusterState, joins: JoinTracker): Promise<void> {
  if (state.hostsIn('Pending').length === 0) return;
  if (patched(BACKGROUND_JOINS_PATCH)) await joins.startPending();
  else await joinPending(state);
}

/** Join children in flight, by hostId. Each outcome is recorded when its child settles, then the loop wakes. */
export class JoinTracker {
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Workflow time of the task that started the last wave of joins (since 'join-waves'). */
  private waveAt: number | null = null;

  /** Since 'peer-tables-by-reference' (peer-refs.ts): a child gets a reference, not the joined peers. */
  private readonly refs: boolean;

  constructor(
    private readonly state: ClusterState,
    private readonly onSettled: () => void,
  ) {
    this.refs = usePeerRefs();
  }

  has(hostId: string): boolean {
    return this.inFlight.has(hostId);
  }
  get size(): number {
    return this.inFlight.size;
  }

  /** When the loop must wake for the next wave of joins: at once, in a new workflow task (a 1 ms timer),
   * while hosts still wait as Pending after a wave; null otherwise. */
  nextWave(): number | null {
    if (this.waveAt === null || this.state.hostsIn('Pending').length === 0) return null;
    return Date.now() + 1;
  }

  /** Resolves once no join is in flight (the tracked promises never reject). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  /** Marks Pending hosts Joining, pushes the newcomers to joined hosts, and starts one child per host. */
  async startPending(): Promise<void> {
    const { state } = this;
    state.markJoining(state.hostsIn('Pending').map((h) => h.hostId));
    state.refreshStatus();
    // Joined hosts learn the newcomers first: with head-end replication a joined peer can only answer the
    // newcomer's probe once it has an FDB entry back to it. Entries of hosts that fail are removed after.
    await syncPeerTables(state, false);
    // A host removed during the push is no longer Joining; removeMarked takes it from here.
    const starting = state.hostsIn('Joining').filter((h) => !this.inFlight.has(h.hostId));
    const joinedIps = new Set(state.hostsIn('Joined').map((h) => h.overlayIp));
    for (const h of starting) this.track(h, tableFor(state, h), joinedIps);
  }

  /**
   * Since 'control-plane-truth': nothing here awaits a host. Joined hosts get the newcomers in background
   * pushes; each join starts once those pushes answered or stalled. A join carries only the Joined peers
   * (bounded input; the loop pushes the full table after the join), so creating 1000 hosts at once does
   * not put 1000 × 1000 peer entries into history.
   */
  startPendingInBackground(pushes: PeerSync, ops: HostOps): void {
    const { state } = this;
    let pending = state.hostsIn('Pending').map((h) => h.hostId);
    if (patched(JOIN_WAVES_PATCH)) {
      if (this.waveAt === Date.now()) return; // one wave per workflow task (workflow time is the task's)
      this.waveAt = Date.now();
      pending = pending.slice(0, JOIN_WAVE);
    }
    state.markJoining(pending);
    state.refreshStatus();
    pushes.step('Membership');
    const joined = state.hostsIn('Joined');
    const joinedIps = new Set(joined.map((h) => h.overlayIp));
    // A joining host is not Joined itself, so every newcomer gets the same table: computed once, O(hosts).
    const peers = peeringSet(joined);
    const ref = this.refs ? peerRefNow(state, 'Joined') : undefined;
    const pushing = ops.hostsRunning('push');
    const ready = condition(() => ops.settledOrStalled('push', pushing));
    for (const h of state.hostsIn('Joining').filter((x) => !this.inFlight.has(x.hostId))) {
      this.track(h, peers, joinedIps, ready, ref);
    }
  }

  /** Starts the child now, or once `after` resolves (the start command order of old histories needs now). */
  private track(
    h: HostRecordView,
    peers: Peer[],
    joinedIps: Set<string>,
    after?: Promise<void>,
    ref?: PeerTableRef,
  ): void {
    const { state } = this;
    const start = () =>
      executeChild(hostJoinWorkflow, {
        workflowId: hostJoinWorkflowId(state.name, h.hostId),
        args: [
          ref ? joinInputByRef(state, h, ref, joinedIps.size > 0) : joinInput(state, h, peers, joinedIps),
        ],
        ...childQueueOptions(),
      });
    const run = (after ? after.then(start) : start())
      .then(
        (result) => settleJoin(state, h.hostId, { result, peers }),
        (error) => settleJoin(state, h.hostId, { error }),
      )
      .finally(() => {
        this.inFlight.delete(h.hostId);
        state.refreshStatus(); // queries see phase and conditions that match the settled host at once
        this.onSettled();
      });
    this.inFlight.set(h.hostId, run);
  }
}

/** Before v3: joins every Pending host in parallel and returns when all have settled. */
export async function joinPending(state: ClusterState): Promise<void> {
  const pending = state.hostsIn('Pending');
  if (pending.length === 0) return;
  state.markJoining(pending.map((h) => h.hostId));
  state.refreshStatus();
  const tables = new Map(pending.map((h) => [h.hostId, tableFor(state, h)]));
  if (patched(PEERS_BEFORE_JOIN_PATCH)) await syncPeerTables(state, false);
  const joinedIps = new Set(state.hostsIn('Joined').map((h) => h.overlayIp));
  await Promise.allSettled(
    pending.map((h) => {
      const peers = tables.get(h.hostId)!;
      return executeChild(hostJoinWorkflow, {
        workflowId: hostJoinWorkflowId(state.name, h.hostId),
        args: [joinInput(state, h, peers, joinedIps)],
      }).then(
        (result) => settleJoin(state, h.hostId, { result, peers }),
        (error) => settleJoin(state, h.hostId, { error }),
      );
    }),
  );
}

/** The full desired table of a joining host (empty when it has no underlay address yet). */
const tableFor = (state: ClusterState, h: HostRecordView): Peer[] =>
  isPeering(h) ? state.peersFor(h.hostId) : [];

function joinInput(
  state: ClusterState,
  h: HostRecordView,
  peers: Peer[],
  joinedIps: Set<string>,
): HostJoinInput {
  return {
    spec: state.spec,
    hostId: h.hostId,
    overlayIp: h.overlayIp,
    peers,
    probeTargets: peers.filter((p) => joinedIps.has(p.overlayIp)).map((p) => p.overlayIp),
    activityBudgetMs: state.options.hostActivityTimeoutMs,
  };
}

/** Records HostJoined or HostJoinFailed, unless the host left Joining meanwhile (it is being removed). */
function settleJoin(state: ClusterState, hostId: string, outcome: JoinOutcome): void {
  if (state.host(hostId)?.state !== 'Joining') return;
  if ('result' in outcome) {
    const { overlayIp, mtu, probe, peersDigest } = outcome.result;
    // By reference the host may have been given a newer table than the one asked for: it says which.
    const digest = peersDigest ?? peerTableDigest(outcome.peers);
    state.settleJoin(hostId, { joined: { digest, overlayIp, mtu, probe } });
  } else {
    state.settleJoin(hostId, { failed: describeFailure(outcome.error) });
  }
}

/** Since 'peer-tables-by-reference': the Joined peers by reference (the relay cuts them), probed by the
 * host with its table when any peer has joined. No table and no target list in history. */
function joinInputByRef(
  state: ClusterState,
  h: HostRecordView,
  ref: PeerTableRef,
  probe: boolean,
): HostJoinInput {
  return {
    spec: state.spec,
    hostId: h.hostId,
    overlayIp: h.overlayIp,
    peers: [],
    probeTargets: [],
    peersFrom: ref,
    probeJoined: probe,
    activityBudgetMs: state.options.hostActivityTimeoutMs,
  };
}
