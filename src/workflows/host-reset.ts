// `resetHost` on `host/<hostId>` (edge-overlay hosts reset HOST): the host's agent tears down every overlay
// device it has, through the control worker's relay like any host command. Only for a host in no cluster:
// a member is removed from its cluster instead (its teardown is the cluster's). The outcome is recorded on
// the host record as a HostReset event (the registry has no cluster event log to put it in).
import { ApplicationFailure, proxyActivities, setHandler, upsertMemo } from '@temporalio/workflow';
import { ErrorType } from '../domain/errors.js';
import type { HostEvent, HostRecord } from '../domain/types.js';
import type { HostRelayActivities } from '../contract/host-relay.js';
import { type HostResetOutcome, resetHostUpdate } from '../contract/workflow-messages.js';
import { z } from 'zod';
import { fail, parseOrFail } from './validate.js';

/** Events kept on a host record (newest last). */
export const HOST_EVENTS_KEPT = 10;

const resetHostInputSchema = z.strictObject({ reason: z.string().max(200).optional() });

// Short: the API waits for the answer (its deadline is 15 s), and an agent that is connected answers in
// well under a second. A host that is away keeps the command in its broker session, but nobody waits.
const relay = proxyActivities<Pick<HostRelayActivities, 'reset'>>({
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '12s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '2s' },
});

export function installResetHandler(o: {
  hostId: string;
  get: () => HostRecord | null;
  set: (next: HostRecord) => void;
}): void {
  const requireFree = (): HostRecord => {
    const record = o.get() ?? fail(ErrorType.HostNotRegistered, `host ${o.hostId} is not registered`);
    if (record.cluster !== null) {
      fail(
        ErrorType.HostAlreadyInCluster,
        `host ${o.hostId} belongs to cluster ${record.cluster}: remove it from the cluster instead`,
        { cluster: record.cluster },
      );
    }
    return record;
  };
  setHandler(
    resetHostUpdate,
    async (input): Promise<HostResetOutcome> => {
      requireFree();
      let result: Awaited<ReturnType<HostRelayActivities['reset']>>;
      try {
        result = await relay.reset({ hostId: o.hostId, ...(input.reason ? { reason: input.reason } : {}) });
      } catch (err) {
        throw ApplicationFailure.create({
          type: ErrorType.HostAgentUnreachable,
          message: `the agent of host ${o.hostId} did not carry out the reset (is it running and connected?): ${describe(err)}`,
          nonRetryable: true,
        });
      }
      const at = new Date().toISOString();
      const outcome: HostResetOutcome = { hostId: o.hostId, at, ...result };
      const event: HostEvent = {
        time: at,
        type: 'HostReset',
        data: { ...result, ...(input.reason ? { reason: input.reason } : {}) },
      };
      const current = o.get()!;
      const next = { ...current, events: [...(current.events ?? []), event].slice(-HOST_EVENTS_KEPT) };
      o.set(next);
      upsertMemo({ record: next });
      return outcome;
    },
    {
      description: 'Tear down every overlay device on a host in no cluster, through its agent (hosts reset)',
      validator: (input) => {
        parseOrFail(resetHostInputSchema, input ?? {});
        requireFree();
      },
    },
  );
}

function describe(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && (e as { cause?: unknown }).cause) e = (e as { cause?: unknown }).cause;
  return e instanceof Error ? e.message.slice(0, 300) : String(e);
}
