// `edge-overlay lab up|env|status|down|outage`: local labs of edge hosts in network namespaces (root). Each lab
// has a name (--name, default `default`) that owns its state dir (.lab/<name>/), namespace prefix, control
// plane, ports and token; `up` stays in the foreground holding the control plane. Errors and exit codes:
// src/lab/errors.ts (README "Lab").
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadEnv, portSchema } from '../config/env.js';
import { downLab } from '../lab/down.js';
import { LAB_EXIT, LabError, requireRoot } from '../lab/errors.js';
import { LAB_MAX_HOSTS } from '../lab/lab.js';
import { DEFAULT_LAB_NAME, DEFAULT_LABS_DIR, labNameSchema } from '../lab/names.js';
import { runOutage } from '../lab/outage.js';
import { type FoundLab, findAllLabs, findLab, mainState } from '../lab/registry.js';
import { formatLabStatus, labStatus } from '../lab/status.js';
import { type RunningLab, upLab } from '../lab/up.js';
import { zodParser } from './options.js';

function parseHosts(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > LAB_MAX_HOSTS)
    throw new InvalidArgumentError(`must be 1..${LAB_MAX_HOSTS}`);
  return n;
}

interface LabFlags {
  name: string;
  labsDir: string;
  json?: boolean;
}

/** --name, --labs-dir and --json, on every lab command. */
function labOptions(cmd: Command): Command {
  return cmd
    .option(
      '--name <name>',
      'which lab (each has its own state dir, namespaces, ports and token)',
      zodParser(labNameSchema),
      DEFAULT_LAB_NAME,
    )
    .option('--labs-dir <dir>', "parent of the labs' state dirs (<dir>/<name>/)", DEFAULT_LABS_DIR)
    .option('--json', 'print JSON instead of text');
}

const out = (flags: { json?: boolean }, json: unknown, text: string) =>
  process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);

/** Lab NAME, or exit 3 with a message saying how to find the others. */
async function requireLab(flags: LabFlags, what: string): Promise<FoundLab> {
  const found = await findLab(flags.name, flags.labsDir);
  if (!found)
    throw new LabError(
      `no lab named '${flags.name}' (${what}); 'lab status --all' lists the labs on this machine`,
      LAB_EXIT.notFound,
    );
  return found;
}

interface UpFlags extends LabFlags {
  hosts: number;
  dhcp: boolean;
  agents: boolean;
  apiPort?: number;
  uiPort?: number;
}

async function up(flags: UpFlags): Promise<void> {
  requireRoot();
  const env = loadEnv();
  // Ctrl-C while starting aborts at the next step (upLab removes what it made); once up, it tears down.
  const starting = new AbortController();
  let running: RunningLab | undefined;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const onSignal = () => (running ? stop() : starting.abort());
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    running = await upLab({
      name: flags.name,
      labsDir: flags.labsDir,
      hosts: flags.hosts,
      dhcp: flags.dhcp,
      agents: flags.agents,
      ...(flags.apiPort ? { apiPort: flags.apiPort } : {}),
      ...(flags.uiPort ? { uiPort: flags.uiPort } : {}),
      logLevel: env.EDGE_OVERLAY_LOG_LEVEL,
      signal: starting.signal,
    });
    if (starting.signal.aborted) stop();
    const found = await findLab(flags.name, flags.labsDir);
    const status = found ? await labStatus(found) : null;
    out(
      flags,
      status,
      [
        status ? formatLabStatus(status) : `lab ${flags.name} is up`,
        `Control-plane log: ${running.paths.stateDir}/control.log. Press Ctrl-C to tear the lab down.`,
      ].join('\n'),
    );
    const crashed = await Promise.race([stopped.then(() => false), running.done.then(() => true)]);
    await running.teardown();
    process.stderr.write(`lab ${flags.name} torn down\n`);
    if (crashed)
      throw new LabError('the control worker stopped on its own: the lab was torn down', LAB_EXIT.failed);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function down(flags: LabFlags & { all?: boolean }): Promise<void> {
  requireRoot();
  const labs = flags.all
    ? await findAllLabs(flags.labsDir)
    : [await requireLab(flags, 'nothing to tear down')];
  const results = [];
  for (const lab of labs) results.push(await downLab(lab, flags.labsDir));
  const text = results.length
    ? results
        .map(
          (r) =>
            `lab ${r.name} is down (stopped ${r.stopped.length} processes, deleted ${r.namespaces.length} namespaces)`,
        )
        .join('\n')
    : 'no labs found';
  out(flags, flags.all ? results : results[0], text);
}

async function status(flags: LabFlags & { all?: boolean }): Promise<void> {
  if (flags.all) {
    const all = await Promise.all((await findAllLabs(flags.labsDir)).map(labStatus));
    out(flags, all, all.length ? all.map(formatLabStatus).join('\n\n') : 'no labs found');
    return;
  }
  const st = await labStatus(await requireLab(flags, 'no state dir, registry record or namespace'));
  out(flags, st, formatLabStatus(st));
}

async function env(flags: LabFlags): Promise<void> {
  const st = await labStatus(await requireLab(flags, 'start one with: lab up'));
  if (!st.apiUrl || !st.tokenFile || !st.env)
    throw new LabError(
      `lab '${flags.name}' has no API (yet): see lab status --name ${flags.name}`,
      LAB_EXIT.notFound,
    );
  out(flags, { EDGE_OVERLAY_API_URL: st.apiUrl, EDGE_OVERLAY_TOKEN_FILE: st.tokenFile }, st.env);
}

async function outage(flags: LabFlags): Promise<void> {
  requireRoot();
  const state = mainState(await requireLab(flags, 'start one with: lab up --dhcp'));
  if (!state)
    throw new LabError(
      `lab '${flags.name}' has no state left: lab down --name ${flags.name}`,
      LAB_EXIT.notFound,
    );
  if (!state.dhcp)
    throw new LabError(
      `lab '${flags.name}' has static addresses: an outage needs a DHCP lab (lab up --dhcp)`,
      LAB_EXIT.usage,
    );
  const r = await runOutage(state);
  const text = [
    ...state.hosts.map(
      (h) => `  ${h.hostId.padEnd(10)} ${r.before[h.hostId] ?? '-'} -> ${r.after[h.hostId]}`,
    ),
    `every host renumbered in ${r.renumberMs} ms`,
  ].join('\n');
  out(flags, r, text);
  // The restarted dnsmasq/udhcpc are detached daemons of the lab; without an explicit exit their child
  // handles would keep this short-lived command waiting for them.
  process.exit(0);
}

export function registerLabCommands(program: Command): void {
  const lab = program
    .command('lab')
    .description('local labs of edge hosts in network namespaces (root); one per --name');

  labOptions(
    lab
      .command('up')
      .description('create the lab and run its control plane in the foreground (Ctrl-C tears it all down)')
      .requiredOption('--hosts <n>', `number of hosts (1-${LAB_MAX_HOSTS})`, parseHosts)
      .option('--dhcp', 'underlay addresses from a real DHCP server (needed for `lab outage`)', false)
      .option('--no-agents', 'do not start an agent per host')
      .option('--api-port <port>', 'API port on 127.0.0.1 (default: a free one)', zodParser(portSchema))
      .option(
        '--ui-port <port>',
        'Temporal Web UI port on 127.0.0.1 (default: a free one)',
        zodParser(portSchema),
      ),
  ).action(up);

  labOptions(lab.command('env').description("print the line that points the CLI at the lab's API")).action(
    env,
  );

  labOptions(
    lab
      .command('status')
      .description('is the lab running; its API, processes, namespaces and hosts')
      .addOption(new Option('--all', 'every lab on this machine').conflicts('name')),
  ).action(status);

  labOptions(
    lab
      .command('down')
      .description('stop every lab process (by PID) and delete the lab namespaces')
      .addOption(
        new Option(
          '--all',
          'every lab, also one whose state dir is gone (by recorded PIDs and namespace prefix)',
        ).conflicts('name'),
      ),
  ).action(down);

  labOptions(
    lab
      .command('outage')
      .description('DHCP server back with another range and no leases; every host re-acquires a new address'),
  ).action(outage);
}
