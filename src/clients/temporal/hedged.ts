// A query to a workflow is usually answered within tens of milliseconds, but now and then one is held far
// longer while the workflow itself sits idle: measured in the 5-host renumbering lab, a status query and a
// peer-table read sent during a burst of short workflow tasks (10-150 ms each) came back 1.6-2 s later,
// after the workflow had been idle for 1.5 s, while a query sent beside them was answered in 170 ms. A
// caller that waits for that one answer (the relay pushing peer tables, the API answering GET) waits the
// whole time. A hedged call asks again when the first attempt is late, and takes the first answer.
// Every attempt starts after the first one, so whatever "started after X" held for the first holds for the
// answer. Only side-effect-free calls (queries) may be hedged.

export interface HedgeOptions {
  /** When the next attempt starts if none has answered yet (ms after the previous one started). */
  afterMs: number;
  /** Attempts in flight at most, the first included. */
  maxAttempts: number;
  /** Told when an attempt beyond the first starts (for a debug log). */
  onHedge?: (attempt: number) => void;
}

/** For queries of this product's workflows: asked again after 400 ms (so an API GET, which falls back to a
 * remembered view after 700 ms, still gets the hedge's answer), three in flight at most (bounded extra load
 * on a 1000-host cluster whose queries take seconds while its hosts join). */
export const QUERY_HEDGE = { afterMs: 400, maxAttempts: 3 } as const;

/** Runs `call`, and again each `afterMs` while none has answered, up to `maxAttempts` in all. Resolves with
 * the first answer; rejects with the last failure when no attempt is left in flight. */
export function hedged<T>(call: () => Promise<T>, opts: HedgeOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let started = 0;
    let failed = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const start = () => {
      started += 1;
      if (started > 1) opts.onHedge?.(started);
      call().then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          failed += 1;
          // A failure is an answer too (the run is closed, the query is unknown): asking again would only
          // repeat it. The call fails once no attempt is left in flight.
          if (settled || failed < started) return;
          settled = true;
          clearTimeout(timer);
          reject(err);
        },
      );
      if (started < opts.maxAttempts) timer = setTimeout(start, opts.afterMs);
    };
    start();
  });
}
