// Site VIP reports (issue 13) from a host's own `vip` topic to its cluster's workflow, as the vipReport
// signal. The host is the topic's, never the payload's word, and a host reports only for itself and for the
// cluster the control plane counts it in: a report naming another cluster is dropped here (the workflow
// checks it again). Reports are not retained and each one is a transition (gained / lost), so none is
// replaced by a newer one: a host's reports go out in order, each once (the workflow drops repeats by seq).
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { clusterWorkflowId } from '../domain/ids.js';
import { type VipReport, vipReportSchema } from '../domain/site-vip.js';
import { vipReportSignal } from '../contract/workflow-messages.js';
import { callHostWorkflow, type HostCallOptions } from './host-workflow-calls.js';
import type { KeyedQueue } from './keyed-queue.js';
import { parseJson } from './messages.js';

export interface VipRelayStats {
  vipRelayed: number;
  vipInvalid: number;
  /** Reports naming a cluster other than the host's (or from a host in no cluster). */
  vipForeign: number;
  /** Reports dropped because a host sent more than MAX_WAITING before the relay caught up. */
  vipOverflow: number;
  vipNotRelayed: number;
}

export interface VipRelayDeps {
  client: Client;
  queue: KeyedQueue;
  log: Logger;
  /** The cluster the control plane counts the host in (null: none), as the underlay reports are routed. */
  clusterOf: (hostId: string) => Promise<string | null>;
  callOptions?: HostCallOptions;
}

/** A host makes a few transitions a second at most; more waiting than this is a flood, oldest dropped. */
const MAX_WAITING = 64;

export function createVipRelay(deps: VipRelayDeps) {
  const { log } = deps;
  const stats: VipRelayStats = {
    vipRelayed: 0,
    vipInvalid: 0,
    vipForeign: 0,
    vipOverflow: 0,
    vipNotRelayed: 0,
  };
  const waiting = new Map<string, VipReport[]>();

  async function relay(hostId: string): Promise<void> {
    const reports = waiting.get(hostId) ?? [];
    waiting.delete(hostId);
    if (reports.length === 0) return;
    const cluster = await deps.clusterOf(hostId);
    const handle = cluster ? deps.client.workflow.getHandle(clusterWorkflowId(cluster)) : null;
    for (const report of reports) {
      if (handle === null || report.cluster !== cluster) {
        stats.vipForeign += 1;
        log.warn(
          { hostId, cluster, reported: report.cluster },
          'VIP report for a cluster the host is not in dropped',
        );
        continue;
      }
      const outcome = await callHostWorkflow(
        deps.client,
        () => handle.signal(vipReportSignal, { hostId, ...report }),
        deps.callOptions,
      ).catch((err: unknown) => ({ ok: false as const, reason: 'unreachable', message: String(err) }));
      if (outcome.ok) stats.vipRelayed += 1;
      else {
        stats.vipNotRelayed += 1;
        log.warn({ hostId, cluster, seq: report.seq, ...outcome }, 'VIP report not relayed');
      }
    }
  }

  return {
    onVip(hostId: string, payload: Buffer): void {
      const parsed = vipReportSchema.safeParse(parseJson(payload));
      if (!parsed.success) {
        stats.vipInvalid += 1;
        log.warn({ hostId, issues: parsed.error.issues.length }, 'invalid VIP report dropped');
        return;
      }
      const list = waiting.get(hostId) ?? [];
      list.push(parsed.data);
      if (list.length > MAX_WAITING) {
        list.shift();
        stats.vipOverflow += 1;
      }
      waiting.set(hostId, list);
      deps.queue.push(hostId, 'vip', () => relay(hostId));
    },
    stats: (): VipRelayStats => ({ ...stats }),
  };
}
