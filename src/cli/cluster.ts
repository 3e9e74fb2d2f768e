// `edge-overlay cluster create|status|list|add-host|remove-host|events|delete`: calls the HTTP API.
import { type Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import type { HostSpec } from '../domain/types.js';
import { cidrSchema, hostIdSchema, overlayModeSchema, vniSchema } from '../domain/validation.js';
import { type ApiFlags, connect, printOut, progress, withApiOptions } from './connect.js';
import { createWithRetry } from './create-retry.js';
import { durationOption } from './duration.js';
import { registerEventsCommand } from './events.js';
import { formatCluster, formatClusterList } from './format.js';
import { zodParser } from './options.js';
import {
  orGone,
  type WaitOptions,
  waitForDeleted,
  waitForJoined,
  waitForReady,
  waitForRemoved,
} from './wait.js';
import { watchCluster } from './watch.js';

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

interface WaitFlags extends ApiFlags {
  wait?: boolean;
  timeout: number;
  interval: number;
}

interface CreateFlags extends WaitFlags {
  overlayCidr?: string;
  vni?: number;
  mode?: 'unicast' | 'multicast';
  idempotencyKey?: string;
  force?: boolean;
}

/** --wait, --timeout, --interval, the same on every command that changes a cluster. */
function withWaitOptions(cmd: Command, until: string): Command {
  return cmd
    .option('--wait', `wait until ${until}, showing progress`)
    .addOption(durationOption('--timeout <duration>', 'how long --wait waits', '5m'))
    .addOption(durationOption('--interval <duration>', 'poll interval for --wait', '1s'));
}

const waitOptions = (flags: WaitFlags): WaitOptions => ({
  timeoutMs: flags.timeout,
  intervalMs: flags.interval,
  onProgress: (line) => progress(flags, line),
});

export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('create, inspect, change and delete overlay clusters');

  withApiOptions(
    withWaitOptions(
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
        .option(
          '--force',
          'create even when another cluster uses an overlapping overlay CIDR with the same VNI on the same underlay',
        ),
      'the cluster is Ready',
    ),
  ).action(async (name: string, hosts: HostSpec[], flags: CreateFlags) => {
    const api = connect(flags);
    const req = {
      name,
      hosts,
      ...(flags.overlayCidr ? { overlayCidr: flags.overlayCidr } : {}),
      ...(flags.vni !== undefined ? { vni: flags.vni } : {}),
      ...(flags.mode ? { mode: flags.mode } : {}),
      ...(flags.force ? { force: true } : {}),
    };
    const accepted = await createWithRetry(() => api.createCluster(req, flags.idempotencyKey), name, {
      onRetry: (m) => progress(flags, m),
    });
    if (!flags.wait) {
      printOut(flags, accepted, `cluster ${accepted.name} accepted\n  workflow: ${accepted.uiUrl}`);
      return;
    }
    progress(flags, `cluster ${accepted.name} accepted; waiting for Ready (workflow: ${accepted.uiUrl})`);
    const ready = await waitForReady(name, () => api.getCluster(name), waitOptions(flags));
    printOut(flags, ready, formatCluster(ready));
  });

  withApiOptions(
    cluster
      .command('status')
      .description('phase, VIP, hosts and conditions of a cluster')
      .argument('<name>', 'cluster', parseName)
      .option('--watch', 'show it again whenever it changes, until Ctrl-C (--json: one line per change)')
      .addOption(durationOption('--interval <duration>', 'poll interval for --watch', '2s')),
  ).action(async (name: string, flags: ApiFlags & { watch?: boolean; interval: number }) => {
    if (flags.watch) return watchCluster(connect(flags), name, flags);
    const c = await connect(flags).getCluster(name);
    printOut(flags, c, formatCluster(c));
  });

  withApiOptions(cluster.command('list').description('running clusters')).action(async (flags: ApiFlags) => {
    const { clusters } = await connect(flags).listClusters();
    printOut(flags, clusters, formatClusterList(clusters));
  });

  withApiOptions(
    withWaitOptions(
      cluster
        .command('add-host')
        .description('add hosts: edge-overlay cluster add-host NAME HOST[:ROLE]...')
        .argument('<name>', 'cluster', parseName)
        .argument('<hosts...>', 'hosts as ID or ID:control-plane / ID:worker', collectHost),
      'every added host is Joined',
    ),
  ).action(async (name: string, hosts: HostSpec[], flags: WaitFlags) => {
    const api = connect(flags);
    const accepted = await api.addHosts(name, hosts);
    const ids = hosts.map((h) => h.hostId);
    const text = `adding ${ids.join(', ')} to ${name}\n  workflow: ${accepted.uiUrl}`;
    if (!flags.wait) return printOut(flags, accepted, text);
    progress(flags, text);
    const joined = await waitForJoined(name, ids, () => api.getCluster(name), waitOptions(flags));
    printOut(flags, joined, `${ids.join(', ')} joined ${name}`);
  });

  withApiOptions(
    withWaitOptions(
      cluster
        .command('remove-host')
        .description('remove a host from a cluster (tears its overlay down)')
        .argument('<name>', 'cluster', parseName)
        .argument('<hostId>', 'host', parseName),
      'the host has left the cluster',
    ),
  ).action(async (name: string, hostId: string, flags: WaitFlags) => {
    const api = connect(flags);
    const accepted = await api.removeHost(name, hostId);
    const text = `removing ${hostId} from ${name}\n  workflow: ${accepted.uiUrl}`;
    if (!flags.wait) return printOut(flags, accepted, text);
    progress(flags, text);
    await waitForRemoved(
      name,
      hostId,
      orGone(() => api.getCluster(name)),
      waitOptions(flags),
    );
    printOut(flags, accepted, `${hostId} removed from ${name}`);
  });

  registerEventsCommand(cluster, parseName);

  withApiOptions(
    withWaitOptions(
      cluster
        .command('delete')
        .description('delete a cluster: tears the overlay down on every host')
        .argument('<name>', 'cluster', parseName),
      'the cluster is gone',
    ),
  ).action(async (name: string, flags: WaitFlags) => {
    const api = connect(flags);
    const accepted = await api.deleteCluster(name);
    if (flags.wait)
      await waitForDeleted(
        name,
        orGone(() => api.getCluster(name)),
        waitOptions(flags),
      );
    printOut(
      flags,
      accepted,
      `cluster ${name} ${flags.wait ? 'deleted' : 'is being deleted'}\n  workflow: ${accepted.uiUrl}`,
    );
  });
}
