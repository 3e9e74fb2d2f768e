// Host results (`…/hosts/<id>/results`) → the waiting activity. The host is the topic's host (the broker's
// ACL proves it); a result whose command was addressed to ANOTHER host is dropped and counted: only a
// forged id can produce it, and the real addressee can still answer. Completion runs off the MQTT
// message loop (bounded, retried until the deadline), so one slow Temporal call stalls no other host.
import { ActivityNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { type HostResult, hostResultSchema } from '../contract/host-channel.js';
import type { KeyedQueue } from './keyed-queue.js';
import { parseJson } from './messages.js';
import type { PendingCommand, PendingCommands } from './pending-commands.js';

export interface ResultRouterStats {
  completed: number;
  failed: number;
  /** Results for a command addressed to another host (a forged id): security warnings. */
  foreign: number;
  /** Unknown or expired ids, and results the activity no longer waits for (ActivityNotFound). */
  unknown: number;
  late: number;
  invalid: number;
}

export interface ResultRouterDeps {
  pending: PendingCommands;
  /** Client.activity (async completion by task token). */
  completion: {
    complete(taskToken: Uint8Array, result: unknown): Promise<void>;
    fail(taskToken: Uint8Array, err: unknown): Promise<void>;
  };
  /** Completions in flight; keyed by command id (no ordering needed, only the bound). */
  queue: KeyedQueue;
  log: Logger;
  /** Publish → result → completed, per command (measurement hook). */
  onRoundTrip?: (ms: number, command: PendingCommand) => void;
  /** How a command ended here (metrics): its activity completed ok or failed, or nobody waited any more. */
  onOutcome?: (command: PendingCommand, outcome: 'ok' | 'error' | 'late') => void;
}

const RETRY_DELAYS_MS = [100, 500, 2_000, 5_000];

export function createResultRouter(deps: ResultRouterDeps) {
  const stats: ResultRouterStats = { completed: 0, failed: 0, foreign: 0, unknown: 0, late: 0, invalid: 0 };
  const { log } = deps;

  async function settle(command: PendingCommand, result: HostResult): Promise<void> {
    const arrivedAt = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        if (result.ok) await deps.completion.complete(command.taskToken, result.result);
        else
          await deps.completion.fail(
            command.taskToken,
            ApplicationFailure.create({
              type: result.error.type,
              message: result.error.message,
              nonRetryable: result.error.nonRetryable,
            }),
          );
        if (result.ok) stats.completed += 1;
        else stats.failed += 1;
        deps.onOutcome?.(command, result.ok ? 'ok' : 'error');
        deps.onRoundTrip?.(Date.now() - command.publishedAt, command);
        log.debug(
          {
            hostId: command.hostId,
            commandId: command.id,
            kind: command.kind,
            ok: result.ok,
            attempt,
            // publish → result here, and result → completion accepted by Temporal
            hostMs: arrivedAt - command.publishedAt,
            completeMs: Date.now() - arrivedAt,
          },
          'activity completed',
        );
        return;
      } catch (err) {
        if (err instanceof ActivityNotFoundError) {
          // Timed out, cancelled, or its workflow is gone: nobody waits for this result any more.
          stats.late += 1;
          deps.onOutcome?.(command, 'late');
          log.debug(
            { hostId: command.hostId, commandId: command.id },
            'result for an activity no longer waiting',
          );
          return;
        }
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined || Date.now() + delay > command.deadline) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Handles one message on `hostId`'s results leaf (synchronous: the completion is queued). */
  function route(hostId: string, payload: Buffer): void {
    const parsed = hostResultSchema.safeParse(parseJson(payload));
    if (!parsed.success) {
      stats.invalid += 1;
      log.warn({ hostId, issues: parsed.error.issues.length }, 'invalid host result dropped');
      return;
    }
    const result = parsed.data;
    const pending = deps.pending.peek(result.id);
    if (!pending) {
      stats.unknown += 1;
      log.debug({ hostId, commandId: result.id }, 'result for an unknown or expired command ignored');
      return;
    }
    if (pending.hostId !== hostId) {
      stats.foreign += 1;
      log.warn(
        { security: true, hostId, addressee: pending.hostId, commandId: result.id },
        "host sent a result for another host's command: dropped",
      );
      return;
    }
    const command = deps.pending.take(result.id)!;
    deps.queue.push(command.id, 'settle', () => settle(command, result));
  }

  return { route, stats: (): ResultRouterStats => ({ ...stats }) };
}
