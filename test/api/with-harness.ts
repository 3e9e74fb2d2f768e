// The API over the workflow tests' harness (real dev server and control worker, fake hosts behind the
// relay), made before the file's tests and closed after them.
import { afterAll, beforeAll } from 'vitest';
import { ClusterHarness } from '../workflows/support/cluster-harness.js';
import { buildTestApi, type TestApi } from './helper.js';

/** `temporalTimeoutMs`: the API's deadline for Temporal calls (a short one for "no control worker" tests). */
export function apiOverHarness(opts: { temporalTimeoutMs?: number } = {}): {
  h: () => ClusterHarness;
  api: () => TestApi;
} {
  let h: ClusterHarness | undefined;
  let api: TestApi | undefined;
  beforeAll(async () => {
    h = await ClusterHarness.create();
    api = await buildTestApi({ client: h.client, taskQueue: h.taskQueue, ...opts });
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });
  return { h: () => h!, api: () => api! };
}
