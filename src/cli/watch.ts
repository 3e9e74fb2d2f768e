// `edge-overlay cluster status NAME --watch`: re-renders phase, hosts and conditions whenever they change
// (a host's last-seen time alone is not a change), until Ctrl-C (exit 0) or the cluster is deleted.
// --json prints one JSON line per change. Transient API failures are ridden out (src/cli/poll.ts).
import { ApiError, type ApiClient, type ClusterStatus } from './api-client.js';
import { type ApiFlags, progress } from './connect.js';
import { formatCluster } from './format.js';
import { interruptSignal, pause, transientRetry } from './poll.js';

/** What counts as a change: everything but the hosts' last-seen times, which move on every heartbeat. */
export function watchKey(c: ClusterStatus): string {
  return JSON.stringify({ ...c, hosts: c.hosts.map(({ lastSeen: _, ...h }) => h) });
}

const CLEAR_SCREEN = '\x1b[H\x1b[2J';

export async function watchCluster(
  api: ApiClient,
  name: string,
  flags: ApiFlags & { interval: number },
): Promise<void> {
  const interrupt = interruptSignal();
  // Redraw in place only for a person at a terminal; a pipe or a file gets each render appended.
  const tty = !flags.json && process.stdout.isTTY === true;
  const render = (c: ClusterStatus, first: boolean) => {
    if (flags.json) return process.stdout.write(`${JSON.stringify(c)}\n`);
    const footer = `\n\n(${new Date().toISOString()}; watching, Ctrl-C to stop)`;
    process.stdout.write(
      `${tty ? CLEAR_SCREEN : first ? '' : '\n'}${formatCluster(c)}${tty ? footer : ''}\n`,
    );
  };
  try {
    const retry = transientRetry(`cluster ${name}`, {
      intervalMs: flags.interval,
      signal: interrupt.signal,
      notice: (line) => progress(flags, line),
    });
    let last: string | null = null;
    do {
      let c: ClusterStatus | undefined;
      try {
        c = await retry(() => api.getCluster(name));
      } catch (err) {
        // Deleted while watched: the end of the story, not an error. Unknown from the start: exit 3.
        if (last !== null && err instanceof ApiError && err.status === 404) {
          if (flags.json) process.stdout.write(`${JSON.stringify({ name, deleted: true })}\n`);
          else process.stdout.write(`\ncluster ${name} is gone\n`);
          return;
        }
        throw err;
      }
      if (!c) return;
      const key = watchKey(c);
      if (key !== last) render(c, last === null);
      last = key;
    } while (await pause(flags.interval, interrupt.signal));
  } finally {
    interrupt.dispose();
  }
}
