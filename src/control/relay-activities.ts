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
import { peerTableRefSchema, tableFromSource } from '../domain/peer-source.js';
import type { PeerTableResolver } from './peer-tables.js';
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
  /** Resolves setPeers references to tables (peer-tables.ts); without it a reference is refused. */
  peerTables?: PeerTableResolver;
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

/** The table a setPeers reference stands for (domain/peer-source.ts), cut for this host. A reference that
 * does not parse is the workflow's bug: refused for good. A source that cannot be read now (the cluster's
 * workflow task is failing, the server is busy) fails this attempt; the activity is retried. */
export async function resolvePeers(
  hostId: string,
  raw: unknown,
  resolver: PeerTableResolver | undefined,
): Promise<Peer[]> {
  const ref = peerTableRefSchema.safeParse(raw);
  if (!ref.success || !resolver) {
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      message: `setPeers: ${ref.success ? 'no peer table source here' : `invalid peersFrom: ${ref.error.issues[0]?.message}`}`,
      nonRetryable: true,
    });
  }
  try {
    return tableFromSource(await resolver(ref.data), hostId, ref.data.only);
  } catch (err) {
    throw ApplicationFailure.create({
      type: RelayErrorType.PeerSourceUnavailable,
      message: `setPeers: the peer table of ${ref.data.workflowId} cannot be read now: ${err instanceof Error ? err.message : String(err)}`,
      nonRetryable: false,
    });
  }
}

/** Runs `work` heartbeating the current attempt every few seconds (inside any heartbeat timeout it has). */
export async function whileBeating<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 3_000);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
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
      const { hostId: _addressee, ...hostInput } = input as {
        hostId: string;
        peers?: unknown;
        peersFrom?: unknown;
      };
      const { info } = Context.current();
      if (kind === 'setPeers') {
        // Reading the table and its keys can take seconds on a busy cluster: the attempt is kept alive.
        await whileBeating(async () => {
          if (hostInput.peersFrom !== undefined) {
            hostInput.peers = await resolvePeers(hostId, hostInput.peersFrom, deps.peerTables);
            delete hostInput.peersFrom;
          }
          if (deps.peerKeys && Array.isArray(hostInput.peers)) {
            hostInput.peers = await withPeerKeys(hostInput.peers as Peer[], deps.peerKeys);
          }
        });
      }
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
          ...(info.heartbeatTimeoutMs ? { heartbeatTimeoutMs: info.heartbeatTimeoutMs } : {}),
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
