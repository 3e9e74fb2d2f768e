// What hosts say about themselves, relayed to their `host/<hostId>` workflow. The host is the topic's
// host, never the payload's word.
// - underlay (retained, sequenced): `reportUnderlay` update; the workflow applies it only if newer, and
//   the update's record tells which cluster counts the host, published back retained on `membership`
//   when that changed since the last publication (an agent tears down an overlay it is no longer in).
// - status (retained; the Last Will says offline): `hostPresence` signal ONLY on a transition
//   (online↔offline or a new boot epoch), so a heartbeat costs no history.
// Calls for one host run in order, hosts in parallel (KeyedQueue); a host's newer report replaces one
// still waiting, and each job relays the latest state it finds when it runs.
// The host's cluster hears of each report from here, not from the host workflow (cluster-underlay.ts):
// at once when this process knows the cluster, else (or if that failed) after the update, from the record.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { hostWorkflowId } from '../domain/ids.js';
import type { HostRecord } from '../domain/types.js';
import {
  type HostStatus,
  hostStatusSchema,
  hostTopic,
  type MembershipMessage,
  type UnderlayReport,
  underlayReportSchema,
} from '../contract/host-channel.js';
import { hostPresenceSignal, reportUnderlayUpdate } from '../contract/workflow-messages.js';
import { type ClusterUnderlayStats, createClusterUnderlay, type UnderlayChange } from './cluster-underlay.js';
import { callHostWorkflow, type HostCallOptions, type HostCallOutcome } from './host-workflow-calls.js';
import type { KeyedQueue } from './keyed-queue.js';
import { parseJson } from './messages.js';
import type { Publisher } from './publisher.js';

export interface ReportRelayStats extends ClusterUnderlayStats {
  underlayRelayed: number;
  underlayStale: number;
  presenceSignals: number;
  presenceUnchanged: number;
  membershipPublished: number;
  noHostWorkflow: number;
  invalid: number;
}

export interface ReportRelayDeps {
  client: Client;
  publisher: Publisher;
  queue: KeyedQueue;
  /** Underlay signals to clusters (never behind a host workflow update); default `queue`. */
  signalQueue?: KeyedQueue;
  log: Logger;
  callOptions?: HostCallOptions;
  /** A cluster was just told of these underlay changes (cluster-underlay.ts). */
  onClusterTold?: (cluster: string, changes: readonly UnderlayChange[]) => void;
}

const samePresence = (a: HostStatus | undefined, b: HostStatus): boolean =>
  a !== undefined && a.online === b.online && (!a.online || !b.online || a.epoch === b.epoch);

/** How soon an underlay report that could not reach Temporal is tried again. */
const UNDERLAY_RETRY_MS = 2_000;

export function createReportRelay(deps: ReportRelayDeps) {
  const { log } = deps;
  const stats: Omit<ReportRelayStats, keyof ClusterUnderlayStats> = {
    underlayRelayed: 0,
    underlayStale: 0,
    presenceSignals: 0,
    presenceUnchanged: 0,
    membershipPublished: 0,
    noHostWorkflow: 0,
    invalid: 0,
  };
  /** The newest report received and not yet relayed, per host. */
  const waitingUnderlay = new Map<string, UnderlayReport>();
  /** Seq of the last report the host workflow took, per host (drops duplicates before Temporal). */
  const relayedSeq = new Map<string, number>();
  const clusters = createClusterUnderlay({
    client: deps.client,
    queue: deps.signalQueue ?? deps.queue,
    log,
    ...(deps.callOptions ? { callOptions: deps.callOptions } : {}),
    ...(deps.onClusterTold ? { onTold: deps.onClusterTold } : {}),
  });
  const waitingStatus = new Map<string, { status: HostStatus; at: string }>();
  const relayedStatus = new Map<string, HostStatus>();
  /** The last membership published (retained), per host. */
  const publishedMembership = new Map<string, string | null>();

  const host = (hostId: string) => deps.client.workflow.getHandle(hostWorkflowId(hostId));

  function dropped(hostId: string, what: string, outcome: HostCallOutcome<unknown>): void {
    if (outcome.ok) return;
    if (outcome.reason === 'no-host-workflow') stats.noHostWorkflow += 1;
    log.warn({ hostId, reason: outcome.reason, error: outcome.message }, `${what} not relayed`);
  }

  async function publishMembership(hostId: string, cluster: string | null): Promise<void> {
    if (publishedMembership.get(hostId) === cluster) return;
    const message: MembershipMessage = { cluster };
    await deps.publisher.publish(hostTopic(hostId, 'membership'), message, { retain: true });
    publishedMembership.set(hostId, cluster);
    stats.membershipPublished += 1;
  }

  async function relayUnderlay(hostId: string): Promise<void> {
    const report = waitingUnderlay.get(hostId);
    if (!report) return;
    waitingUnderlay.delete(hostId);
    let outcome: HostCallOutcome<HostRecord>;
    try {
      outcome = await callHostWorkflow<HostRecord>(
        deps.client,
        () => host(hostId).executeUpdate(reportUnderlayUpdate, { args: [{ hostId, ...report }] }),
        deps.callOptions,
      );
    } catch (err) {
      // Temporal unreachable or overloaded past the call's own retries: the report is retained on the
      // broker but will not come again, so it must not be lost here. Try again later unless a newer one
      // arrived meanwhile (that one is queued already).
      log.warn(
        { hostId, seq: report.seq, err: String(err) },
        'underlay report not relayed yet; retrying in 2 s',
      );
      if (!waitingUnderlay.has(hostId)) waitingUnderlay.set(hostId, report);
      setTimeout(
        () => deps.queue.push(hostId, 'underlay', () => relayUnderlay(hostId)),
        UNDERLAY_RETRY_MS,
      ).unref();
      return;
    }
    if (!outcome.ok) return dropped(hostId, 'underlay report', outcome);
    relayedSeq.set(hostId, Math.max(report.seq, relayedSeq.get(hostId) ?? 0));
    stats.underlayRelayed += 1;
    // Independent: a membership the broker would not take must not keep the cluster from hearing.
    const membership = publishMembership(hostId, outcome.value.cluster);
    await clusters.afterUpdate(outcome.value);
    await membership;
  }

  async function relayStatus(hostId: string): Promise<void> {
    const latest = waitingStatus.get(hostId);
    if (!latest) return;
    waitingStatus.delete(hostId);
    if (samePresence(relayedStatus.get(hostId), latest.status)) {
      stats.presenceUnchanged += 1;
      return;
    }
    const { status, at } = latest;
    const presence = status.online
      ? { hostId, online: true, epoch: status.epoch, at }
      : { hostId, online: false, at };
    const outcome = await callHostWorkflow(
      deps.client,
      () => host(hostId).signal(hostPresenceSignal, presence),
      deps.callOptions,
    );
    if (!outcome.ok) return dropped(hostId, 'presence', outcome);
    relayedStatus.set(hostId, status);
    stats.presenceSignals += 1;
  }

  function decode<T>(schema: z.ZodType<T>, hostId: string, payload: Buffer, what: string): T | null {
    const parsed = schema.safeParse(parseJson(payload));
    if (parsed.success) return parsed.data;
    stats.invalid += 1;
    log.warn({ hostId, issues: parsed.error.issues.length }, `invalid ${what} dropped`);
    return null;
  }

  return {
    onUnderlay(hostId: string, payload: Buffer): void {
      const report = decode(underlayReportSchema, hostId, payload, 'underlay report');
      if (report === null) return;
      log.debug({ hostId, seq: report.seq, underlayIp: report.underlayIp }, 'underlay report received');
      const newest = Math.max(waitingUnderlay.get(hostId)?.seq ?? 0, relayedSeq.get(hostId) ?? 0);
      if (report.seq <= newest) {
        stats.underlayStale += 1;
        return;
      }
      waitingUnderlay.set(hostId, report);
      deps.queue.push(hostId, 'underlay', () => relayUnderlay(hostId));
      const cluster = publishedMembership.get(hostId);
      if (cluster && report.underlayIp !== null)
        clusters.early(hostId, cluster, { hostId, underlayIp: report.underlayIp, seq: report.seq });
    },

    onStatus(hostId: string, payload: Buffer): void {
      const status = decode(hostStatusSchema, hostId, payload, 'host status');
      if (status === null) return;
      waitingStatus.set(hostId, { status, at: new Date().toISOString() });
      deps.queue.push(hostId, 'status', () => relayStatus(hostId));
    },

    /** Publishes (retained, in this host's order) the cluster the control plane counts the host in,
     * unless that is what was last published: for membership changes that come from elsewhere. */
    announceMembership(hostId: string, cluster: string | null): void {
      deps.queue.push(hostId, 'membership', () => publishMembership(hostId, cluster));
    },

    /** The cluster last published to the host as its membership; undefined when none was published by
     * this process yet. */
    clusterOf: (hostId: string): string | null | undefined => publishedMembership.get(hostId),

    stats: (): ReportRelayStats => ({ ...stats, ...clusters.stats() }),
  };
}
