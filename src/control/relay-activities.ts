// The host activities as the workflows schedule them on the control task queue (HostRelayActivities):
// each one publishes a command into the addressed host's session and returns WITHOUT completing; the
// result router completes it with the task token when that host's result arrives (async completion).
import { randomUUID } from 'node:crypto';
import { CompleteAsyncError, Context, type Info } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { ErrorType } from '../domain/errors.js';
import type { Peer } from '../domain/types.js';
import { hostIdSchema } from '../domain/validation.js';
import {
  type HostCommand,
  type HostCommandKind,
  hostCommandKinds,
  hostTopic,
} from '../contract/host-channel.js';
import type { HostRelayActivities } from '../contract/host-relay.js';
import { type PeerKeyLookup, withPeerKeys } from './peer-keys.js';
import type { PendingCommands } from './pending-commands.js';
import { type Publisher, RelayErrorType } from './publisher.js';

export interface RelayActivityDeps {
  pending: PendingCommands;
  publisher: Publisher;
  log: Logger;
  /** Counts commands handed to the broker. */
  onPublished?: () => void;
  /** Fills in the peers' public keys of a setPeers table (peer-keys.ts); without it tables go as they are. */
  peerKeys?: PeerKeyLookup;
}

/** The activity names the relay registers (the same names as the host's own activities). */
export const hostRelayActivityNames: readonly HostCommandKind[] = hostCommandKinds;

/** When nobody waits for the result any more: the attempt's start-to-close, or the overall
 * schedule-to-close if that comes first (0 means unset for both). */
export function commandDeadline(
  info: Pick<Info, 'startToCloseTimeoutMs' | 'scheduleToCloseTimeoutMs' | 'scheduledTimestampMs'>,
  now: number,
): number {
  const limits: number[] = [];
  if (info.startToCloseTimeoutMs > 0) limits.push(now + info.startToCloseTimeoutMs);
  if (info.scheduleToCloseTimeoutMs > 0)
    limits.push(info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs);
  // The server always sets a start-to-close; the fallback only keeps the type honest.
  return limits.length > 0 ? Math.min(...limits) : now + 60_000;
}

export function createRelayActivities(deps: RelayActivityDeps): HostRelayActivities {
  const relay =
    (kind: HostCommandKind) =>
    async (input: { hostId: string }): Promise<never> => {
      const parsed = hostIdSchema.safeParse(input?.hostId);
      if (!parsed.success) {
        throw ApplicationFailure.create({
          type: ErrorType.InvalidInput,
          message: `${kind}: invalid hostId: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
          nonRetryable: true,
        });
      }
      const hostId = parsed.data;
      const { hostId: _addressee, ...hostInput } = input as { hostId: string; peers?: unknown };
      if (kind === 'setPeers' && deps.peerKeys && Array.isArray(hostInput.peers)) {
        hostInput.peers = await withPeerKeys(hostInput.peers as Peer[], deps.peerKeys);
      }
      const { info } = Context.current();
      const now = Date.now();
      const command: HostCommand = {
        id: randomUUID(),
        kind,
        input: hostInput,
        deadline: commandDeadline(info, now),
      };
      // Registered BEFORE publishing: a fast host's result must find its entry.
      deps.pending.add(
        {
          id: command.id,
          hostId,
          kind,
          taskToken: info.taskToken,
          deadline: command.deadline,
          publishedAt: now,
        },
        now,
      );
      try {
        const { noSubscribers } = await deps.publisher.publish(hostTopic(hostId, 'commands'), command);
        if (noSubscribers) {
          throw ApplicationFailure.create({
            type: RelayErrorType.HostNotConnected,
            message: `host ${hostId} has no session on the broker (never connected, or its session expired)`,
            nonRetryable: false,
          });
        }
      } catch (err) {
        deps.pending.take(command.id);
        throw err;
      }
      deps.onPublished?.();
      deps.log.debug({ hostId, kind, commandId: command.id, attempt: info.attempt }, 'command published');
      throw new CompleteAsyncError();
    };

  return {
    preflight: relay('preflight'),
    applyOverlay: relay('applyOverlay'),
    setPeers: relay('setPeers'),
    assignVip: relay('assignVip'),
    releaseVip: relay('releaseVip'),
    probePeers: relay('probePeers'),
    teardown: relay('teardown'),
    reset: relay('reset'),
  } satisfies Record<HostCommandKind, unknown>;
}
