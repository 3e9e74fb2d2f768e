// `edge-overlay cluster events NAME [--follow]`: the cluster's ordered domain events. --follow keeps polling
// until Ctrl-C (exit 0), with columns that stay aligned and through transient API failures (src/cli/poll.ts);
// with --json it prints one event per line.
import type { Command } from 'commander';
import type { DomainEvent } from '../domain/types.js';
import type { ApiClient } from './api-client.js';
import { type ApiFlags, connect, printOut, progress, withApiOptions } from './connect.js';
import { durationOption } from './duration.js';
import { eventRow, eventWidths, formatEvents } from './format.js';
import { interruptSignal, pause, transientRetry } from './poll.js';

interface EventsFlags extends ApiFlags {
  follow?: boolean;
  interval: number;
}

export function registerEventsCommand(cluster: Command, parseName: (v: string) => string): void {
  withApiOptions(
    cluster
      .command('events')
      .description('ordered domain events of a cluster')
      .argument('<name>', 'cluster', parseName)
      .option('--follow', 'keep printing new events until Ctrl-C (rides out API restarts)')
      .addOption(durationOption('--interval <duration>', 'poll interval for --follow', '2s')),
  ).action(async (name: string, flags: EventsFlags) => {
    const api = connect(flags);
    if (flags.follow) return followEvents(api, name, flags);
    const events = await api.events(name);
    printOut(flags, events, formatEvents(events));
  });
}

async function followEvents(api: ApiClient, name: string, flags: EventsFlags): Promise<void> {
  const interrupt = interruptSignal();
  try {
    const retry = transientRetry(`events of ${name}`, {
      intervalMs: flags.interval,
      signal: interrupt.signal,
      notice: (line) => progress(flags, line),
    });
    const first = await retry(() => api.events(name));
    if (!first) return;
    const widths = eventWidths(first);
    const emit = (e: DomainEvent) =>
      process.stdout.write(`${flags.json ? JSON.stringify(e) : eventRow(e, widths)}\n`);
    if (!flags.json) process.stdout.write(`${eventRow(null, widths)}\n`);
    first.forEach(emit);
    let after = first.at(-1)?.seq ?? 0;
    while (await pause(flags.interval, interrupt.signal)) {
      const events = await retry(() => api.events(name, after));
      if (!events) break;
      events.forEach(emit);
      after = events.at(-1)?.seq ?? after;
    }
  } finally {
    interrupt.dispose();
  }
}
