// `--wait` for cluster create/add-host/remove-host/delete: poll the cluster until the change is done,
// print a progress line when it moves, give up at --timeout with ExitCode.Timeout.
import { ApiError, type ClusterStatus } from './api-client.js';
import { CliError, ExitCode } from './errors.js';
import { progressLine } from './format.js';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  onProgress: (line: string) => void;
}

/** The cluster, or null once it is gone (404). */
export type GetCluster = () => Promise<ClusterStatus | null>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

/** Turns a 404 into null: for waits whose goal is that something is gone. */
export const orGone =
  (get: () => Promise<ClusterStatus>): GetCluster =>
  () =>
    get().catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    });

async function waitUntil(
  name: string,
  get: GetCluster,
  done: (c: ClusterStatus | null) => boolean,
  goal: string,
  opts: WaitOptions,
): Promise<ClusterStatus | null> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  for (;;) {
    const status = await get();
    const line = status ? progressLine(status) : `${name}: gone`;
    if (line !== last) opts.onProgress(line);
    last = line;
    if (done(status)) return status;
    if (Date.now() + opts.intervalMs > deadline) {
      const phase = status ? ` (phase ${status.phase})` : '';
      throw new CliError(
        `timed out after ${seconds(opts.timeoutMs)} waiting for ${goal}${phase}`,
        ExitCode.Timeout,
        'raise --timeout, or look at `edge-overlay cluster events NAME`',
      );
    }
    await sleep(opts.intervalMs);
  }
}

/** Until the cluster is Ready. */
export async function waitForReady(
  name: string,
  get: () => Promise<ClusterStatus>,
  opts: WaitOptions,
): Promise<ClusterStatus> {
  return (await waitUntil(
    name,
    get,
    (c) => c?.phase === 'Ready',
    `${name} to become Ready`,
    opts,
  )) as ClusterStatus;
}

/** Until every host in hostIds is Joined; a host that failed to join ends the wait at once. */
export async function waitForJoined(
  name: string,
  hostIds: string[],
  get: () => Promise<ClusterStatus>,
  opts: WaitOptions,
): Promise<ClusterStatus> {
  const done = (c: ClusterStatus | null): boolean => {
    if (!c) throw new CliError(`cluster ${name} was deleted while hosts were joining`, ExitCode.NotFound);
    const failed = c.hosts.find((h) => hostIds.includes(h.hostId) && h.state === 'Failed');
    if (failed) {
      throw new CliError(
        `host ${failed.hostId} failed to join ${name}`,
        ExitCode.Other,
        `see \`edge-overlay cluster events ${name}\` for the reason`,
      );
    }
    return hostIds.every((id) => c.hosts.some((h) => h.hostId === id && h.state === 'Joined'));
  };
  const goal = `${hostIds.join(', ')} to join ${name}`;
  return (await waitUntil(name, get, done, goal, opts)) as ClusterStatus;
}

/** Until hostId is no longer listed (or the cluster is gone). */
export async function waitForRemoved(
  name: string,
  hostId: string,
  get: GetCluster,
  opts: WaitOptions,
): Promise<void> {
  const done = (c: ClusterStatus | null) => !c?.hosts.some((h) => h.hostId === hostId);
  await waitUntil(name, get, done, `${hostId} to leave ${name}`, opts);
}

/** Until the cluster answers 404. */
export async function waitForDeleted(name: string, get: GetCluster, opts: WaitOptions): Promise<void> {
  await waitUntil(name, get, (c) => c === null, `${name} to be deleted`, opts);
}
