// `cluster create` against a busy control plane: a create the API could not confirm in time answers 503
// with Retry-After, and may still happen (src/api/cluster-create.ts createPending). The same request again
// attaches to that create and answers with its outcome, so the CLI asks again, as told, a few times, and
// says so on stderr, instead of leaving the user with a 503 for a cluster that then appears.
import { setTimeout as delay } from 'node:timers/promises';
import { ApiError } from './api-client.js';

/** Asks at most this many times in all. */
export const CREATE_ATTEMPTS = 5;

export interface CreateRetryOptions {
  attempts?: number;
  onRetry?: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** `create` throws an ApiError for a non-2xx answer; bench:api makes its own throw one, so it follows this
 * very policy. */
export async function createWithRetry<T>(
  create: () => Promise<T>,
  name: string,
  o: CreateRetryOptions = {},
): Promise<T> {
  const attempts = o.attempts ?? CREATE_ATTEMPTS;
  const sleep = o.sleep ?? ((ms: number) => delay(ms));
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (err) {
      // Only an answer that asked for the same request again; a 503 without Retry-After is an outage.
      if (!(err instanceof ApiError) || err.status !== 503 || err.retryAfterS === undefined) throw err;
      if (attempt >= attempts) throw err;
      o.onRetry?.(
        `cluster ${name}: the control plane did not confirm the create in time; asking again in ` +
          `${err.retryAfterS} s (attempt ${attempt + 1} of ${attempts}; the same request cannot create it twice)`,
      );
      await sleep(err.retryAfterS * 1000);
    }
  }
}
