// Telling a host's cluster about the host's underlay address. Since 'relay-tells-cluster' the control
// worker's report relay is the only one that does it for reports (the host workflow signalled the cluster
// too, one workflow task after its update: a second signal per report that the cluster dropped by seq,
// ~20 signals and ~40 workflow tasks per 20-host renumbering on a server where every history write counts).
// Two paths, and in the common case one signal per report:
// - early: when a report arrives and this process has published the host's membership, that cluster is
//   signalled at once, on a queue of its own (behind the host workflow's update it came 2-7 s late in a
//   20-host renumbering trace). Best effort, once per seq. Since 'relay-batches-underlay' one signal
//   (underlayChanges) carries every change of the cluster that arrived while its previous one was in
//   flight: the server writes a workflow's signals one at a time, and in a 20-host renumbering the 20
//   signals of one cluster queued for up to 1.5 s, all answered at the same moment.
// - after the update: the host workflow's answer says which cluster counts the host and which address and
//   seq it holds. Unless that cluster was told that seq already (by the early path), it is signalled now,
//   retried until delivered or superseded. The record is the truth: the published membership the early
//   path goes by is unknown after a restart, and stale while a host moves between clusters.
// A crash between the update and its signal loses nothing: the report is retained on the broker, the next
// process gets it with its first SUBSCRIBE, the update (not newer: no change) answers the record again and
// this path signals. So a restarted control worker tells every clustered host's cluster once; the cluster
// applies a report only if its seq is newer, so that costs a signal and changes nothing.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { underlayChangedSignal, underlayChangesSignal } from '../contract/workflow-messages.js';
import { clusterWorkflowId } from '../domain/ids.js';
import type { HostRecord } from '../domain/types.js';
import { callHostWorkflow, type HostCallOptions } from './host-workflow-calls.js';
import type { KeyedQueue } from './keyed-queue.js';

export interface UnderlayChange {
  hostId: string;
  underlayIp: string;
  seq: number;
}

export interface ClusterUnderlayStats {
  /** Hosts' changes delivered to clusters (both paths). */
  clusterSignals: number;
  /** Early-path signals, each carrying every change of one cluster that was waiting (batches). */
  clusterBatches: number;
  /** Of those, sent after the host workflow's update because the early path had not told that cluster. */
  clusterSignalsAfterUpdate: number;
  /** Signals after an update that could not reach Temporal and were scheduled again. */
  clusterSignalRetries: number;
}

export interface ClusterUnderlayDeps {
  client: Client;
  /** The signal queue (never behind a host workflow update). */
  queue: KeyedQueue;
  log: Logger;
  callOptions?: HostCallOptions;
  /** A cluster was just told of these underlay changes (the relay derives its next peer tables: peer-tables.ts). */
  onTold?: (cluster: string, changes: readonly UnderlayChange[]) => void;
}

/** How soon a signal after an update that could not reach Temporal is tried again. */
const RETRY_MS = 2_000;

/** The change a host record asks its cluster to apply; null when there is nothing to tell. */
export function underlayChangeOf(record: HostRecord): { cluster: string; change: UnderlayChange } | null {
  if (record.cluster === null || record.underlaySeq === undefined) return null;
  const change = { hostId: record.hostId, underlayIp: record.underlayIp, seq: record.underlaySeq };
  return { cluster: record.cluster, change };
}

/** One underlayChanged signal (tests that stand in for the relay call it too). */
export async function signalUnderlayChanged(client: Client, cluster: string, change: UnderlayChange) {
  await client.workflow.getHandle(clusterWorkflowId(cluster)).signal(underlayChangedSignal, change);
}

/** Several hosts' changes in one underlayChanges signal (at most one per host). */
export async function signalUnderlayChanges(client: Client, cluster: string, changes: UnderlayChange[]) {
  await client.workflow.getHandle(clusterWorkflowId(cluster)).signal(underlayChangesSignal, { changes });
}

export function createClusterUnderlay(deps: ClusterUnderlayDeps) {
  const { log } = deps;
  const stats: ClusterUnderlayStats = {
    clusterSignals: 0,
    clusterBatches: 0,
    clusterSignalsAfterUpdate: 0,
    clusterSignalRetries: 0,
  };
  /** The newest seq each host's early path has tried (once per seq, even if it failed). */
  const triedSeq = new Map<string, number>();
  /** The cluster and seq last delivered, per host. */
  const told = new Map<string, { cluster: string; seq: number }>();
  /** The early report waiting for its turn, and a promise that settles when the host's early job ran. */
  const waitingEarly = new Map<string, { cluster: string; change: UnderlayChange }>();
  const earlyDone = new Map<string, { done: Promise<void>; settle: () => void }>();
  /** The newest record whose signal after an update is still owed, per host (retries read it). */
  const owed = new Map<string, { cluster: string; change: UnderlayChange }>();

  const alreadyTold = (hostId: string, cluster: string, seq: number) => {
    const last = told.get(hostId);
    return last !== undefined && last.cluster === cluster && last.seq >= seq;
  };
  const delivered = (hostId: string, cluster: string, seq: number) => {
    if (!alreadyTold(hostId, cluster, seq)) told.set(hostId, { cluster, seq });
    stats.clusterSignals += 1;
  };

  /** Hosts with an early report waiting, per cluster: one job per cluster sends them all in one signal. */
  const earlyHosts = new Map<string, Set<string>>();

  /** Sends every early report waiting for `cluster` in one signal. The cluster's jobs run one at a time
   * (KeyedQueue), so what arrives while a signal is in flight goes out together in the next one. */
  async function runEarly(cluster: string): Promise<void> {
    const hostIds = [...(earlyHosts.get(cluster) ?? [])];
    earlyHosts.delete(cluster);
    const batch: UnderlayChange[] = [];
    const taken: string[] = [];
    for (const hostId of hostIds) {
      const next = waitingEarly.get(hostId);
      // a newer report of a host that moved to another cluster waits for that cluster's job
      if (!next || next.cluster !== cluster) continue;
      waitingEarly.delete(hostId);
      taken.push(hostId);
      if (next.change.seq <= (triedSeq.get(hostId) ?? 0)) continue;
      triedSeq.set(hostId, next.change.seq);
      batch.push(next.change);
    }
    try {
      if (batch.length === 0) return;
      const started = Date.now();
      const outcome = await callHostWorkflow(
        deps.client,
        () => signalUnderlayChanges(deps.client, cluster, batch),
        { ...deps.callOptions, retryDelaysMs: [] },
      );
      if (!outcome.ok) return;
      for (const c of batch) delivered(c.hostId, cluster, c.seq);
      stats.clusterBatches += 1;
      deps.onTold?.(cluster, batch);
      log.debug(
        { cluster, hosts: batch.length, ms: Date.now() - started },
        'underlay signalled to the cluster',
      );
    } catch (err) {
      log.debug({ cluster, err: String(err) }, 'early underlay signal to the cluster failed');
    } finally {
      for (const hostId of taken) settleEarly(hostId);
    }
  }

  const settleEarly = (hostId: string) => {
    if (waitingEarly.has(hostId)) return; // a newer report is on its way: afterUpdate waits for that one
    earlyDone.get(hostId)?.settle();
    earlyDone.delete(hostId);
  };

  async function payOwed(hostId: string): Promise<void> {
    const due = owed.get(hostId);
    if (!due) return;
    const { cluster, change } = due;
    if (alreadyTold(hostId, cluster, change.seq)) {
      owed.delete(hostId);
      return;
    }
    let outcome: Awaited<ReturnType<typeof callHostWorkflow>>;
    try {
      outcome = await callHostWorkflow(
        deps.client,
        () => signalUnderlayChanged(deps.client, cluster, change),
        deps.callOptions,
      );
    } catch (err) {
      // Temporal unreachable past the call's own retries: this is the guaranteed path, try again later
      // (a newer record meanwhile replaces what is owed).
      stats.clusterSignalRetries += 1;
      log.warn(
        { hostId, cluster, seq: change.seq, err: String(err) },
        'underlay not told to the cluster yet',
      );
      setTimeout(() => deps.queue.push(hostId, 'cluster-owed', () => payOwed(hostId)), RETRY_MS).unref();
      return;
    }
    if (owed.get(hostId) === due) owed.delete(hostId);
    // No cluster workflow: the cluster was deleted (the host leaves it with that); nothing to tell.
    if (!outcome.ok) return log.info({ hostId, cluster, reason: outcome.reason }, 'cluster not told');
    delivered(hostId, cluster, change.seq);
    stats.clusterSignalsAfterUpdate += 1;
    deps.onTold?.(cluster, [change]);
  }

  return {
    /** A newer report of a host whose cluster this process published: signal it at once (best effort). */
    early(hostId: string, cluster: string, change: UnderlayChange): void {
      if (change.seq <= (triedSeq.get(hostId) ?? 0)) return;
      waitingEarly.set(hostId, { cluster, change });
      if (!earlyDone.has(hostId)) {
        let settle = () => {};
        const done = new Promise<void>((resolve) => {
          settle = resolve;
        });
        earlyDone.set(hostId, { done, settle });
      }
      const hosts = earlyHosts.get(cluster) ?? new Set<string>();
      earlyHosts.set(cluster, hosts.add(hostId));
      deps.queue.push(`cluster/${cluster}`, 'cluster-signal', () => runEarly(cluster));
    },

    /** The host workflow's record after a report: its cluster gets the record's address unless told already.
     * Resolves once it was told or a retry is scheduled. */
    async afterUpdate(record: HostRecord): Promise<void> {
      const due = underlayChangeOf(record);
      if (!due) return;
      const { hostId } = due.change;
      // The early signal of this report may still be on its way: one signal, not two.
      await earlyDone.get(hostId)?.done;
      if (alreadyTold(hostId, due.cluster, due.change.seq)) return;
      const current = owed.get(hostId);
      if (current && current.change.seq > due.change.seq) return;
      owed.set(hostId, due);
      await payOwed(hostId);
    },

    stats: (): ClusterUnderlayStats => ({ ...stats }),
  };
}
