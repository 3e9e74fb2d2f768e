// `edge-overlay lab up|down|outage`: a local lab of N edge hosts in network namespaces (root only).
// `up` stays in the foreground holding the control plane; its state lives in the run dir so `down`
// and `outage` (from another terminal) find the namespaces and PIDs.
import { type Command, InvalidArgumentError } from 'commander';
import { join, resolve } from 'node:path';
import { loadEnv } from '../config/env.js';
import { resolveToken } from '../config/token.js';
import type { ControlPlane } from '../dev/control-plane.js';
import { createLogger, installTemporalLogger } from '../log.js';
import { ApiClient } from './api-client.js';
import { labBrokerAdvertise, startControlAccess } from '../lab/control-access.js';
import { createLab, destroyLab, LAB_MAX_HOSTS, saveLabState, underlayAddresses } from '../lab/lab.js';
import { startAgent } from '../lab/lab-agent.js';
import { controlTargets, startLoopbackControlPlane } from '../lab/loopback-plane.js';
import { isAlive, stopPid } from '../lab/netns.js';
import { runOutage } from '../lab/outage.js';
import { loadLabState } from '../lab/state.js';

const DEFAULT_RUN_DIR = '.lab';

function parseHosts(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > LAB_MAX_HOSTS)
    throw new InvalidArgumentError(`must be 1..${LAB_MAX_HOSTS}`);
  return n;
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the lab creates network namespaces: run it as root');
}

interface UpFlags {
  hosts: number;
  dhcp: boolean;
  runDir: string;
  agents: boolean;
}

export function registerLabCommands(program: Command): void {
  const lab = program.command('lab').description('a local lab of edge hosts in network namespaces (root)');

  lab
    .command('up')
    .description('create the lab and run the control plane in the foreground (Ctrl-C tears it all down)')
    .requiredOption('--hosts <n>', `number of hosts (1-${LAB_MAX_HOSTS})`, parseHosts)
    .option('--dhcp', 'underlay addresses from a real DHCP server (needed for `lab outage`)', false)
    .option('--no-agents', 'do not start an agent per host')
    .option('--run-dir <dir>', 'lab state folder', DEFAULT_RUN_DIR)
    .action(async (flags: UpFlags) => {
      requireRoot();
      const env = loadEnv();
      const log = createLogger({ level: env.EDGE_OVERLAY_LOG_LEVEL, format: env.EDGE_OVERLAY_LOG_FORMAT });
      installTemporalLogger(log);
      const runDir = resolve(flags.runDir);
      const token = resolveToken({
        envToken: env.EDGE_OVERLAY_TOKEN,
        generateInto: join(runDir, 'api-token'),
      });
      const state = await createLab({ hosts: flags.hosts, runDir, dhcp: flags.dhcp });
      state.owner = { pid: process.pid, comm: 'node' };
      saveLabState(state);
      let plane: ControlPlane | undefined;
      const teardown = async () => {
        await plane?.stop();
        await destroyLab(loadLabState(runDir), { keepRunDir: false });
      };
      try {
        plane = await startLoopbackControlPlane({
          dataDir: join(runDir, 'control'),
          token: token.token,
          log,
          namespace: env.EDGE_OVERLAY_NAMESPACE,
          // agents dial the broker at the control namespace's address (forwarded to the root loopback)
          brokerAdvertise: labBrokerAdvertise(state),
        });
        await startControlAccess(state, controlTargets(plane));
        const api = new ApiClient({ baseUrl: plane.apiUrl, token: token.token });
        // each agent enrolls with its own single-use join token; none gets the admin token
        if (flags.agents) for (const h of state.hosts) await startAgent(state, h, { api });
      } catch (err) {
        await teardown();
        throw err;
      }
      const addrs = await underlayAddresses(state);
      const lines = [
        `edge-overlay lab ${state.id} is up (${state.hosts.length} hosts, ${state.dhcp ? 'DHCP' : 'static'} underlay)`,
        `  API (root loopback):   ${plane.apiUrl}   token: ${token.path ?? 'EDGE_OVERLAY_TOKEN'}`,
        `  API (underlay):        ${state.control?.apiUrl}`,
        `  broker (underlay):     ${state.control?.brokerUrl}   (root loopback ${plane.broker.url})`,
        `  Temporal Web UI:       ${plane.uiUrl}   (Temporal stays on the root loopback)`,
        ...state.hosts.map(
          (h) => `  ${h.hostId.padEnd(12)} netns ${h.ns.padEnd(16)} ${h.iface} ${addrs[h.hostId] ?? '-'}`,
        ),
        `  run dir: ${runDir}   (lab outage / lab down --run-dir ${flags.runDir})`,
        'Press Ctrl-C to tear the lab down.',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      await new Promise<void>((done) => {
        let stopping = false;
        const shutdown = () => {
          if (stopping) return;
          stopping = true;
          void teardown().finally(done);
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
        void plane?.workerDone.finally(shutdown);
      });
      process.stdout.write('lab torn down\n');
    });

  lab
    .command('down')
    .description('stop every lab process (by PID) and delete the lab namespaces')
    .option('--run-dir <dir>', 'lab state folder', DEFAULT_RUN_DIR)
    .action(async (flags: { runDir: string }) => {
      requireRoot();
      const runDir = resolve(flags.runDir);
      const state = loadLabState(runDir);
      // The `up` process tears down itself on SIGTERM; whatever it leaves is cleaned below.
      if (state.owner && state.owner.pid !== process.pid && isAlive(state.owner.pid))
        await stopPid(state.owner.pid, { expectComm: state.owner.comm, graceMs: 30_000 });
      try {
        await destroyLab(loadLabState(runDir));
      } catch {
        // `up` already removed the run dir
      }
      process.stdout.write(`lab ${state.id} is down\n`);
    });

  lab
    .command('outage')
    .description('DHCP server back with another range and no leases; every host re-acquires a new address')
    .option('--run-dir <dir>', 'lab state folder', DEFAULT_RUN_DIR)
    .action(async (flags: { runDir: string }) => {
      requireRoot();
      const state = loadLabState(resolve(flags.runDir));
      const result = await runOutage(state);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      // The restarted dnsmasq/udhcpc are detached daemons of the lab; without an explicit exit
      // their child handles would keep this short-lived command waiting for them.
      process.exit(0);
    });
}
