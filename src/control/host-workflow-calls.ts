// One call to a `host/<hostId>` workflow on behalf of a broker message, with the outcomes the relay
// tells apart: done, the host has no running workflow (unknown or deleted: log and drop), the workflow
// refused the message (log and drop), or transport trouble (retried a few times, then thrown).
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';

export type HostCallOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'no-host-workflow' | 'refused'; message: string };

export interface HostCallOptions {
  /** Per attempt; an update waits for the control worker itself to run the handler. */
  timeoutMs?: number;
  retryDelaysMs?: readonly number[];
}

const DEFAULT_RETRY_DELAYS_MS = [200, 1_000, 3_000] as const;

export async function callHostWorkflow<T>(
  client: Client,
  call: () => Promise<T>,
  opts: HostCallOptions = {},
): Promise<HostCallOutcome<T>> {
  const delays = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  for (let attempt = 0; ; attempt++) {
    try {
      const value = await client.connection.withDeadline(Date.now() + timeoutMs, call);
      return { ok: true, value };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        return { ok: false, reason: 'no-host-workflow', message: err.message };
      }
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause instanceof Error ? err.cause.message : err.message;
        return { ok: false, reason: 'refused', message: cause };
      }
      const delay = delays[attempt];
      if (delay === undefined) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
