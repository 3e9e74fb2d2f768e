// Long-running CLI loops (`events --follow`, `status --watch`): Ctrl-C ends them cleanly (exit 0), and a
// transient API failure (no answer, 502/503/504, 429) is retried with backoff after a one-line notice
// instead of ending the loop: an API restart or a rolling update must not kill an operator's watch.
import { setTimeout as delay } from 'node:timers/promises';
import { ApiError, ApiUnreachableError } from './api-client.js';

export const MAX_BACKOFF_MS = 30_000;
const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);

export function isTransient(err: unknown): boolean {
  return err instanceof ApiUnreachableError || (err instanceof ApiError && TRANSIENT_STATUS.has(err.status));
}

/** Aborted on the first SIGINT or SIGTERM; dispose() removes the listeners. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: ctl.signal,
    dispose() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** Waits ms; false when the signal ended the wait first. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export interface RetryOptions {
  /** First backoff; doubles per failure up to MAX_BACKOFF_MS. */
  intervalMs: number;
  signal: AbortSignal;
  /** One line per failure and one when the API answers again. */
  notice: (line: string) => void;
}

/** Creates a caller that runs fn until it answers or fails for good; undefined once the signal aborted. */
export function transientRetry(what: string, opts: RetryOptions) {
  let failing = false;
  return async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    let backoff = opts.intervalMs;
    for (;;) {
      if (opts.signal.aborted) return undefined;
      try {
        const value = await fn();
        if (failing) opts.notice(`${what}: the API answers again`);
        failing = false;
        return value;
      } catch (err) {
        if (!isTransient(err)) throw err;
        failing = true;
        const reason = (err as Error).message.split('\n')[0];
        opts.notice(`${reason}; retrying in ${formatMs(backoff)}`);
        if (!(await pause(backoff, opts.signal))) return undefined;
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  };
}

const formatMs = (ms: number): string => (ms < 1000 ? `${ms}ms` : `${Math.round(ms / 100) / 10}s`);
