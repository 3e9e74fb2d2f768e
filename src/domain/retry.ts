// When a failed host command (peer push, VIP assignment) is tried again. Pure: the current time is passed in.

/** A host that never failed is always due; one that failed is due after retryMs, unless the run is
 * quiescing for continue-as-new: retries of a dead host would otherwise keep work in flight forever. */
export function retryDue(
  failedAt: number | undefined,
  now: number,
  retryMs: number,
  quiescing: boolean,
): boolean {
  if (failedAt === undefined) return true;
  return !quiescing && now - failedAt >= retryMs;
}

/** The earliest retry still ahead of `now`. Retries already due were considered by the step that just ran;
 * a deadline in the past would only make the loop spin. */
export function nextFutureRetry(failedAt: Iterable<number>, retryMs: number, now: number): number | null {
  const ahead = [...failedAt].map((t) => t + retryMs).filter((t) => t > now);
  return ahead.length > 0 ? Math.min(...ahead) : null;
}
