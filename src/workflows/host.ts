// `host/<hostId>`: the registry entry of one edge host. Wiring only; transitions live in domain/host-record.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorType } from '../domain/errors.js';
import { applyHeartbeat, applyRegistration } from '../domain/host-record.js';
import { clusterWorkflowId } from '../domain/ids.js';
import type { HostRecord } from '../domain/types.js';
import {
  claimHostInputSchema,
  hostClusterInputSchema,
  hostHeartbeatInputSchema,
  hostWorkflowInputSchema,
  registerHostInputSchema,
} from '../domain/validation.js';
import {
  claimHostUpdate,
  type HostWorkflowInput,
  hostHeartbeatSignal,
  hostRecordQuery,
  registerHostUpdate,
  setHostClusterSignal,
  underlayChangedSignal,
} from '../contract/workflow-messages.js';
import { installIdentityHandlers } from './host-enrollment.js';
import { membershipAnnouncer } from './host-membership.js';
import { installReportHandlers } from './host-reports.js';
import { installResetHandler } from './host-reset.js';
import { fail, parseOrFail } from './validate.js';

export const DEFAULT_HOST_CONTINUE_AS_NEW_AFTER = 2000;

export async function hostWorkflow(raw: HostWorkflowInput): Promise<void> {
  // The start and continue-as-new input is checked like any message: a hostile one fails the run.
  const input = parseOrFail(hostWorkflowInputSchema, raw) as HostWorkflowInput;
  let record: HostRecord | null = input.record ?? null;
  const threshold = input.continueAsNewAfterEvents ?? DEFAULT_HOST_CONTINUE_AS_NEW_AFTER;
  const now = () => new Date().toISOString();
  const requireRecord = (): HostRecord =>
    record ?? fail(ErrorType.HostNotRegistered, `host ${input.hostId} is not registered`);

  // The cluster may be gone (deleted, or never started): a lost signal must not fail the host entry.
  async function tellCluster(cluster: string, send: (h: ReturnType<typeof clusterHandle>) => Promise<void>) {
    try {
      await send(clusterHandle(cluster));
    } catch (err) {
      log.warn('could not signal cluster', { cluster, hostId: input.hostId, error: String(err) });
    }
  }

  function afterChange(previousUnderlayIp: string | null, memo: boolean) {
    const current = requireRecord();
    if (memo) upsertMemo({ record: current });
    if (previousUnderlayIp !== null && current.cluster !== null) {
      const payload = { hostId: current.hostId, underlayIp: current.underlayIp };
      return tellCluster(current.cluster, (h) => h.signal(underlayChangedSignal, payload));
    }
    return Promise.resolve();
  }

  const membership = membershipAnnouncer(input.hostId);
  setHandler(hostRecordQuery, () => requireRecord());
  const identity = installIdentityHandlers({
    hostId: input.hostId,
    initial: input.identity,
    get: () => record,
    set: (next) => {
      record = next;
    },
  });
  installReportHandlers({
    hostId: input.hostId,
    get: () => record,
    // A host that enrolled before it had a record gets its key and serial on the record its first report makes.
    set: (next) => {
      record = record === null ? { ...next, ...identity.keys() } : next;
    },
    tellCluster,
  });

  installResetHandler({
    hostId: input.hostId,
    get: () => record,
    set: (next) => {
      record = next;
    },
  });

  setHandler(
    registerHostUpdate,
    async (reg) => {
      const change = applyRegistration(record, reg, now());
      // A host that enrolled before an admin registered it keeps its enrolled key and serial.
      record = record === null ? { ...change.record, ...identity.keys() } : change.record;
      await afterChange(change.previousUnderlayIp, true);
      return record;
    },
    {
      validator: (reg) => {
        const parsed = parseOrFail(registerHostInputSchema, reg);
        if (parsed.hostId !== input.hostId) {
          fail(
            ErrorType.InvalidInput,
            `hostId ${parsed.hostId} does not match workflow host ${input.hostId}`,
          );
        }
      },
    },
  );

  setHandler(hostHeartbeatSignal, async (hb) => {
    const parsed = hostHeartbeatInputSchema.safeParse(hb);
    if (!parsed.success || parsed.data.hostId !== input.hostId || record === null) {
      log.warn('ignoring heartbeat', { hostId: input.hostId, registered: record !== null });
      return;
    }
    const change = applyHeartbeat(record, parsed.data.underlayIp, now());
    record = change.record;
    const cluster = record.cluster;
    if (cluster !== null) {
      const beat = { hostId: record.hostId, underlayIp: record.underlayIp };
      await tellCluster(cluster, (h) => h.signal(hostHeartbeatSignal, beat));
    }
    await afterChange(change.previousUnderlayIp, change.previousUnderlayIp !== null);
  });

  // Checked in the validator (a refusal leaves no trace in history) and again in the handler.
  const ensureClaimable = (cluster: string): HostRecord => {
    const current = requireRecord();
    if (current.cluster !== null && current.cluster !== cluster) {
      const message = `host ${input.hostId} already belongs to cluster ${current.cluster}`;
      fail(ErrorType.HostAlreadyInCluster, message, { cluster: current.cluster });
    }
    return current;
  };
  setHandler(
    claimHostUpdate,
    ({ cluster }) => {
      const before = ensureClaimable(cluster);
      record = { ...before, cluster };
      upsertMemo({ record });
      if (before.cluster !== cluster) membership.announce(cluster);
      return record;
    },
    { validator: (claim) => void ensureClaimable(parseOrFail(claimHostInputSchema, claim).cluster) },
  );

  setHandler(setHostClusterSignal, (change) => {
    const parsed = hostClusterInputSchema.safeParse(change);
    if (!parsed.success) {
      log.warn('ignoring invalid setHostCluster', {
        hostId: input.hostId,
        issues: parsed.error.issues.length,
      });
      return;
    }
    const { cluster, from } = parsed.data;
    if (record === null) return;
    if (cluster === null && from !== undefined && record.cluster !== from) return;
    const changed = record.cluster !== cluster;
    record = { ...record, cluster };
    upsertMemo({ record });
    if (changed) membership.announce(cluster);
  });

  // An entity workflow: it lives until it is deleted, continuing as new to keep its history short.
  const long = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= threshold;
  await condition(() => identity.deleted() || long());
  await condition(allHandlersFinished);
  await membership.settled();
  if (identity.deleted()) return;
  await continueAsNew<typeof hostWorkflow>({ ...input, record, ...identity.carry() });
}

const clusterHandle = (cluster: string) => getExternalWorkflowHandle(clusterWorkflowId(cluster));
