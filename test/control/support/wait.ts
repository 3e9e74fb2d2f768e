// Small helpers of the relay tests: polling a condition, and host ids no other test file uses.
import { randomUUID } from 'node:crypto';

/** A host id unique on the shared Temporal server (host workflows outlive a test file). */
export const uniqueHostId = (name: string): string => `${name}-${randomUUID().slice(0, 6)}`;

export async function waitUntil(
  ok: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
