// `edge-overlay cluster create|status|list|add-host|remove-host|events|delete`: calls the HTTP API.
import { type Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import type { HostSpec } from '../domain/types.js';
import { cidrSchema, hostIdSchema, overlayModeSchema, vniSchema } from '../domain/validation.js';
import { ApiError, CliError, type ClusterStatus } from './api-client.js';
import { type ApiFlags, connect, durationParser, printOut, progress, withApiOptions } from './connect.js';
import { formatCluster, formatClusterList, formatEvents, progressLine } from './format.js';
import { zodParser } from './options.js';

/** Exit code when --wait gives up. */
export const EXIT_WAIT_TIMEOUT = 3;

const ROLE_ALIASES: Record<string, HostSpec['role']> = {
  'control-plane': 'control-plane',
  cp: 'control-plane',
  worker: 'worker',
  w: 'worker',
};

/** `ID[:ROLE]` with ROLE control-plane|cp|worker|w (default worker). */
export function parseHostArg(arg: string): HostSpec {
  const [id = '', role = 'worker', ...rest] = arg.split(':');
  const parsedId = hostIdSchema.safeParse(id);
  if (!parsedId.success)
    throw new InvalidArgumentError(`host '${arg}': ${parsedId.error.issues[0]?.message}`);
  const r = ROLE_ALIASES[role];
  if (!r || rest.length)
    throw new InvalidArgumentError(`host '${arg}': role must be control-plane or worker`);
  return { hostId: parsedId.data, role: r };
}

/** Commander calls this once per variadic value, passing what it collected so far. */
const collectHost = (arg: string, prev: HostSpec[] | undefined): HostSpec[] => [
  ...(prev ?? []),
  parseHostArg(arg),
];
const parseName = zodParser(hostIdSchema);
const parseVni = zodParser(z.coerce.number().pipe(vniSchema));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CreateFlags extends ApiFlags {
  overlayCidr?: string;
  vni?: number;
  mode?: 'unicast' | 'multicast';
  idempotencyKey?: string;
  wait?: boolean;
  timeout: number;
  interval: number;
}

/** Polls until the cluster is Ready, printing a line each time its progress changes. */
export async function waitForReady(
  get: () => Promise<ClusterStatus>,
  opts: { timeoutMs: number; intervalMs: number; onProgress: (line: string) => void },
): Promise<ClusterStatus> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  let status: ClusterStatus | null = null;
  for (;;) {
    status = await get();
    const line = progressLine(status);
    if (line !== last) opts.onProgress(line);
    last = line;
    if (status.phase === 'Ready') return status;
    if (Date.now() + opts.intervalMs > deadline) break;
    await sleep(opts.intervalMs);
  }
  throw new CliError(
    `timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${status.name} to become Ready (phase ${status.phase})`,
    EXIT_WAIT_TIMEOUT,
  );
}

export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('create, inspect, change and delete overlay clusters');

  withApiOptions(
    cluster
      .command('create')
      .description(
        'create a cluster: edge-overlay cluster create NAME HOST[:ROLE]... (ROLE control-plane|worker)',
      )
      .argument('<name>', 'cluster name (DNS label)', parseName)
      .argument('<hosts...>', 'hosts as ID or ID:control-plane / ID:worker', collectHost)
      .option('--overlay-cidr <cidr>', 'overlay CIDR (default 100.64.192.0/24)', zodParser(cidrSchema))
      .option('--vni <n>', 'VxLAN id (default 100)', parseVni)
      .option('--mode <mode>', 'unicast or multicast (default unicast)', zodParser(overlayModeSchema))
      .option('--idempotency-key <key>', 'makes a retried create safe even after the cluster was deleted')
      .option('--wait', 'wait until the cluster is Ready, showing progress')
      .option('--timeout <duration>', 'how long --wait waits (e.g. 300, 90s, 5m)', durationParser, 300_000)
      .option('--interval <duration>', 'poll interval for --wait', durationParser, 1000),
  ).action(async (name: string, hosts: HostSpec[], flags: CreateFlags) => {
    const api = connect(flags);
    const req = {
      name,
      hosts,
      ...(flags.overlayCidr ? { overlayCidr: flags.overlayCidr } : {}),
      ...(flags.vni !== undefined ? { vni: flags.vni } : {}),
      ...(flags.mode ? { mode: flags.mode } : {}),
    };
    const accepted = await api.createCluster(req, flags.idempotencyKey);
    if (!flags.wait) {
      printOut(flags, accepted, `cluster ${accepted.name} accepted\n  workflow: ${accepted.uiUrl}`);
      return;
    }
    progress(flags, `cluster ${accepted.name} accepted; waiting for Ready (workflow: ${accepted.uiUrl})`);
    const ready = await waitForReady(() => api.getCluster(name), {
      timeoutMs: flags.timeout,
      intervalMs: flags.interval,
      onProgress: (line) => progress(flags, line),
    });
    printOut(flags, ready, formatCluster(ready));
  });

  withApiOptions(
    cluster
      .command('status')
      .description('phase, VIP, hosts and conditions of a cluster')
      .argument('<name>', 'cluster', parseName),
  ).action(async (name: string, flags: ApiFlags) => {
    const c = await connect(flags).getCluster(name);
    printOut(flags, c, formatCluster(c));
  });

  withApiOptions(cluster.command('list').description('running clusters')).action(async (flags: ApiFlags) => {
    const { clusters } = await connect(flags).listClusters();
    printOut(flags, clusters, formatClusterList(clusters));
  });

  withApiOptions(
    cluster
      .command('add-host')
      .description('add hosts: edge-overlay cluster add-host NAME HOST[:ROLE]...')
      .argument('<name>', 'cluster', parseName)
      .argument('<hosts...>', 'hosts as ID or ID:control-plane / ID:worker', collectHost),
  ).action(async (name: string, hosts: HostSpec[], flags: ApiFlags) => {
    const accepted = await connect(flags).addHosts(name, hosts);
    printOut(
      flags,
      accepted,
      `adding ${hosts.map((h) => h.hostId).join(', ')} to ${name}\n  workflow: ${accepted.uiUrl}`,
    );
  });

  withApiOptions(
    cluster
      .command('remove-host')
      .description('remove a host from a cluster (tears its overlay down)')
      .argument('<name>', 'cluster', parseName)
      .argument('<hostId>', 'host', parseName),
  ).action(async (name: string, hostId: string, flags: ApiFlags) => {
    const accepted = await connect(flags).removeHost(name, hostId);
    printOut(flags, accepted, `removing ${hostId} from ${name}\n  workflow: ${accepted.uiUrl}`);
  });

  withApiOptions(
    cluster
      .command('events')
      .description('ordered domain events of a cluster')
      .argument('<name>', 'cluster', parseName)
      .option('--follow', 'keep printing new events until Ctrl-C')
      .option('--interval <duration>', 'poll interval for --follow', durationParser, 2000),
  ).action(async (name: string, flags: ApiFlags & { follow?: boolean; interval: number }) => {
    const api = connect(flags);
    let events = await api.events(name);
    printOut(flags, events, formatEvents(events));
    let after = events.at(-1)?.seq ?? 0;
    while (flags.follow) {
      await sleep(flags.interval);
      events = await api.events(name, after);
      for (const e of events) printOut(flags, e, formatEvents([e]).split('\n')[1] ?? '');
      after = events.at(-1)?.seq ?? after;
    }
  });

  withApiOptions(
    cluster
      .command('delete')
      .description('delete a cluster: tears the overlay down on every host')
      .argument('<name>', 'cluster', parseName)
      .option('--wait', 'wait until the cluster is gone')
      .option('--timeout <duration>', 'how long --wait waits', durationParser, 300_000)
      .option('--interval <duration>', 'poll interval for --wait', durationParser, 1000),
  ).action(async (name: string, flags: ApiFlags & { wait?: boolean; timeout: number; interval: number }) => {
    const api = connect(flags);
    const accepted = await api.deleteCluster(name);
    if (flags.wait) {
      const deadline = Date.now() + flags.timeout;
      for (;;) {
        try {
          progress(flags, progressLine(await api.getCluster(name)));
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) break;
          throw err;
        }
        if (Date.now() > deadline)
          throw new CliError(`timed out waiting for ${name} to be deleted`, EXIT_WAIT_TIMEOUT);
        await sleep(flags.interval);
      }
    }
    printOut(
      flags,
      accepted,
      `cluster ${name} ${flags.wait ? 'deleted' : 'is being deleted'}\n  workflow: ${accepted.uiUrl}`,
    );
  });
}
