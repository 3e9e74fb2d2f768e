// v2 handlers of `host/<hostId>`: the agent's underlay reports and its broker liveness, both relayed by the
// control worker from the host's own topic. Each is applied only when it changes something (a newer
// report sequence, an online/offline transition); a presence change is told to the host's cluster here,
// an address change by the relay (since 'relay-tells-cluster'): no history events per heartbeat, and a
// reordered or duplicated report changes nothing.
import { type ExternalWorkflowHandle, log, patched, setHandler, upsertMemo } from '@temporalio/workflow';
import {
  hostPresenceSignal,
  reportUnderlayUpdate,
  underlayChangedSignal,
} from '../contract/workflow-messages.js';
import { ErrorType } from '../domain/errors.js';
import { applyPresence, applyUnderlayReport } from '../domain/host-record.js';
import type { HostRecord } from '../domain/types.js';
import { hostPresenceInputSchema, underlayReportInputSchema } from '../domain/validation.js';
import { fail, parseOrFail } from './validate.js';

export interface HostEntityAccess {
  hostId: string;
  get(): HostRecord | null;
  set(record: HostRecord): void;
  /** Signals the host's cluster; never throws (the cluster may be gone). */
  tellCluster(cluster: string, send: (h: ExternalWorkflowHandle) => Promise<void>): Promise<void>;
}

const now = () => new Date().toISOString();

/** Host workflow v4: reports are told to the cluster by the control worker's relay, not by this workflow. */
export const RELAY_TELLS_CLUSTER_PATCH = 'relay-tells-cluster';

export function installReportHandlers(host: HostEntityAccess): void {
  // The agent says it is online (on connect) just before its first underlay report; a host without a
  // record yet keeps that for the record the report makes (only transitions are relayed: it would be lost).
  let onlineBeforeRecord: boolean | undefined;

  setHandler(
    reportUnderlayUpdate,
    async (input) => {
      const report = underlayReportInputSchema.parse(input);
      const change = applyUnderlayReport(host.get(), host.hostId, report, now());
      if (!change.applied)
        return host.get() ?? fail(ErrorType.HostNotRegistered, `host ${host.hostId} has no address`);
      const fresh = host.get() === null;
      host.set(
        fresh && onlineBeforeRecord !== undefined
          ? { ...change.record, online: onlineBeforeRecord }
          : change.record,
      );
      const saved = host.get() ?? change.record;
      upsertMemo({ record: saved });
      const { cluster, underlayIp, underlaySeq } = saved;
      // Since 'relay-tells-cluster' the relay that sent this update tells the cluster (from the record this
      // update returns, or earlier), so this second signal per report is gone (control/cluster-underlay.ts).
      if (change.previousUnderlayIp !== null && cluster !== null && !patched(RELAY_TELLS_CLUSTER_PATCH)) {
        const payload = { hostId: host.hostId, underlayIp, seq: underlaySeq };
        await host.tellCluster(cluster, (h) => h.signal(underlayChangedSignal, payload));
      }
      return saved;
    },
    {
      validator: (input) => {
        const report = parseOrFail(underlayReportInputSchema, input);
        if (report.hostId !== host.hostId) {
          fail(ErrorType.InvalidInput, `hostId ${report.hostId} does not match workflow host ${host.hostId}`);
        }
      },
    },
  );

  setHandler(hostPresenceSignal, async (input) => {
    const parsed = hostPresenceInputSchema.safeParse(input);
    const current = host.get();
    if (parsed.success && parsed.data.hostId === host.hostId && current === null) {
      onlineBeforeRecord = parsed.data.online;
      return;
    }
    if (!parsed.success || parsed.data.hostId !== host.hostId || current === null) {
      log.warn('ignoring presence', { hostId: host.hostId, valid: parsed.success });
      return;
    }
    const next = applyPresence(current, parsed.data.online, now());
    if (next === null) return;
    host.set(next);
    upsertMemo({ record: next });
    if (next.cluster !== null) {
      await host.tellCluster(next.cluster, (h) => h.signal(hostPresenceSignal, parsed.data));
    }
  });
}
