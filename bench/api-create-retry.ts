// A create as a client makes it: the CLI's own createWithRetry (a 503 with Retry-After means "not confirmed
// in time, may still happen", so the same request goes again after that many seconds, up to CREATE_ATTEMPTS
// in all). The first answer is what the create phase times (how the API answers under load); this says what
// a client ends up with, and after how long, so a create answered 503 but admitted later is no longer
// counted as lost (bench:api at 1 000 x 3 before: 295 of 433 such creates became Ready, 138 never happened).
import { ApiError } from '../src/cli/api-client.js';
import { createWithRetry } from '../src/cli/create-retry.js';
import { type HttpTarget, percentile, round, type Sample, timedRequest } from './api-http.js';

export interface CreateOutcome {
  first: Sample;
  final: Sample;
  attempts: number;
  /** From the first request to the final answer, waits included. */
  totalMs: number;
}

export async function createAsClient(target: HttpTarget, body: unknown, t0: number): Promise<CreateOutcome> {
  const start = performance.now();
  const samples: Sample[] = [];
  const ask = async (): Promise<Sample> => {
    const s = await timedRequest(target, 'POST', '/v1/clusters', body, t0);
    samples.push(s);
    if (s.status === 503) throw new ApiError(503, null, 'create', s.retryAfterS);
    return s;
  };
  // Any other answer, or the last 503, is the client's final one: kept as a sample, not thrown.
  await createWithRetry(ask, 'bench').catch(() => undefined);
  return {
    first: samples[0]!,
    final: samples.at(-1)!,
    attempts: samples.length,
    totalMs: performance.now() - start,
  };
}

/** What clients ended up with: final statuses, how many had to ask again, and the time to the final answer. */
export function clientOutcomes(outcomes: readonly CreateOutcome[]) {
  const statuses: Record<string, number> = {};
  for (const o of outcomes) statuses[o.final.status] = (statuses[o.final.status] ?? 0) + 1;
  const totals = outcomes.map((o) => o.totalMs).sort((a, b) => a - b);
  return {
    finalStatuses: statuses,
    askedAgain: outcomes.filter((o) => o.attempts > 1).length,
    maxAttempts: Math.max(0, ...outcomes.map((o) => o.attempts)),
    untilFinalMs: {
      p50: round(percentile(totals, 50)),
      p99: round(percentile(totals, 99)),
      max: round(totals.at(-1) ?? 0),
    },
  };
}
