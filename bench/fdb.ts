// npm run bench:fdb — cost of programming 1000 peers with setPeers (one `bridge -batch`) in one netns,
// with vxlan100 kept DOWN and IPv6 off so not a single packet is sent (as the lab's fdbbench.sh), and
// the agent's RSS after start (a real agent process in a host namespace, Temporal over the underlay).
// Prints JSON. Targets: kernel programming < 50 ms, agent RSS < 120 MB.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { pino } from 'pino';
import { createHostActivities } from '../src/activities/host/index.js';
import { waitFor } from '../src/dev/process.js';
import { startTemporalDevServer } from '../src/dev/temporal-server.js';
import type { OverlaySpec, Peer } from '../src/domain/types.js';
import { FORWARDER_COMM, startControlForwarder } from '../src/lab/control-forwarder.js';
import {
  cleanupLab,
  createL2Switch,
  createNetns,
  plugVeth,
  setStaticAddress,
  spawnInNetns,
  stopPid,
} from '../src/lab/netns.js';
import { processRunner, linkAdd, type Runner } from '../src/net/index.js';

const N = Number(process.env.BENCH_PEERS ?? 1000);
const spec: OverlaySpec = {
  clusterName: 'bench',
  overlayCidr: '100.64.192.0/24',
  prefixLength: 24,
  vni: 100,
  mode: 'unicast',
  port: 4789,
  vip: '100.64.192.1',
};
// never contacted: the device stays down
const peer = (i: number, shift = 0): Peer => ({
  hostId: `p${i}`,
  underlayIp: `10.213.${10 + Math.floor((i + shift) / 250)}.${1 + ((i + shift) % 250)}`,
  overlayIp: '100.64.192.2',
});

/** A runner that times the `bridge -batch` calls (the kernel programming) separately. */
function timingRunner(): Runner & { batchMs: number[] } {
  const batchMs: number[] = [];
  return {
    batchMs,
    async run(file, args, opts) {
      const t = performance.now();
      const res = await processRunner.run(file, args, opts);
      if (file === 'bridge' && args.includes('-batch')) batchMs.push(performance.now() - t);
      return res;
    },
    spawnLines: processRunner.spawnLines,
  };
}

async function fdbBench(id: string) {
  const ns = `eo-${id}-bench`;
  try {
    await createNetns(ns);
    await linkAdd(processRunner, { kind: 'veth', name: 'eth0', peer: 'eth1' }, ns);
    await setStaticAddress(ns, 'eth0', '10.213.9.1/24');
    await linkAdd(
      processRunner,
      { kind: 'vxlan', name: 'vxlan100', vni: 100, port: 4789, dev: 'eth0', learning: false },
      ns,
    );
    const r = timingRunner();
    const acts = createHostActivities({
      hostId: 'bench',
      underlayIface: 'eth0',
      netns: ns,
      runner: r,
      log: pino({ level: 'silent' }),
    });
    const peers = Array.from({ length: N }, (_, i) => peer(i));
    const moved = Array.from({ length: N }, (_, i) => peer(i, N));
    const timed = async (peersNow: Peer[]) => {
      const t = performance.now();
      const res = await acts.setPeers({ spec, peers: peersNow });
      return { ...res, totalMs: round(performance.now() - t), kernelMs: round(r.batchMs.at(-1) ?? 0) };
    };
    const install = await timed(peers);
    const batchesBefore = r.batchMs.length;
    const rerun = await timed(peers);
    const rerunBatches = r.batchMs.length - batchesBefore;
    const renumberAll = await timed(moved);
    return {
      peers: N,
      install,
      rerun: { ...rerun, kernelMs: rerunBatches === 0 ? 0 : rerun.kernelMs },
      renumberAll,
    };
  } finally {
    await cleanupLab({ namespaces: [ns] });
  }
}

async function agentRss(id: string, launcher: { argv: string[]; via: string; lean?: boolean }) {
  const server = await startTemporalDevServer({ headless: true });
  const sw = `eo-${id}-sw`;
  const host = `eo-${id}-h1`;
  const ctl = `eo-${id}-ctl`;
  const dir = mkdtempSync(join(tmpdir(), 'eo-bench-agent-'));
  const pids: Array<{ pid: number; expectComm?: string }> = [];
  try {
    await createL2Switch(sw, 'br0');
    for (const [ns, port, ip] of [
      [host, `v${id}h1`, '10.213.9.11'],
      [ctl, `v${id}c`, '10.213.9.2'],
    ] as const) {
      await createNetns(ns);
      await plugVeth({ switchNs: sw, bridge: 'br0', switchPort: port, hostNs: ns, hostIface: 'eth0' });
      await setStaticAddress(ns, 'eth0', `${ip}/24`);
    }
    const fwd = await startControlForwarder({
      ctlNs: ctl,
      ctlIp: '10.213.9.2',
      listenPort: 7233,
      targetPort: Number(server.address.split(':')[1]),
    });
    pids.push(...fwd.pids.map((pid) => ({ pid, expectComm: FORWARDER_COMM })));
    const log = join(dir, 'agent.log');
    const args = [
      ...(launcher.lean ? [] : ['agent']),
      '--host-id',
      'bench',
      '--underlay-iface',
      'eth0',
      '--temporal',
      fwd.address,
    ];
    const t0 = performance.now();
    const agent = await spawnInNetns(
      host,
      process.execPath,
      [...launcher.argv, ...args, '--state-dir', dir],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, EDGE_OVERLAY_LOG_FORMAT: 'json' },
        logFile: log,
      },
    );
    pids.push({ pid: agent.pid });
    await waitFor(
      'agent worker running',
      async () => readFileSync(log, 'utf8').includes('host worker running'),
      {
        timeoutMs: 60_000,
        intervalMs: 50,
      },
    );
    const readyMs = round(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 2000)); // let it settle (worker polling, first heartbeat)
    const status = readFileSync(`/proc/${agent.pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    await stopPid(agent.pid, { graceMs: 10_000 });
    await fwd.stop();
    return {
      readyMs,
      rssMb: round(kb('VmRSS') / 1024),
      peakRssMb: round(kb('VmHWM') / 1024),
      via: launcher.via,
    };
  } finally {
    await cleanupLab({ processes: pids, namespaces: [host, ctl, sw] });
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const repo = fileURLToPath(new URL('../', import.meta.url));

/** Compiles src (tsc) under node_modules/.cache so the compiled agent resolves the repo's packages. */
async function compiledLauncher(): Promise<{ argv: string[]; via: string; lean: boolean }> {
  const out = join(repo, 'node_modules/.cache/edge-overlay-bench-dist');
  rmSync(out, { recursive: true, force: true });
  await execa('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', out], { cwd: repo });
  // the lean agent entry (src/agent/main.ts): `agent` flags follow directly
  return {
    argv: ['--max-semi-space-size=1', join(out, 'agent/main.js')],
    via: 'node --max-semi-space-size=1 dist/agent/main.js (compiled lean entry)',
    lean: true,
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

async function main() {
  if (process.getuid?.() !== 0) throw new Error('bench:fdb needs root (network namespaces)');
  const id = randomBytes(3).toString('hex');
  const fdb = await fdbBench(id);
  const agentTsx = await agentRss(id, {
    argv: [join(repo, 'bin/edge-overlay.js')],
    via: 'bin/edge-overlay.js (tsx, dev)',
  });
  const agent = await agentRss(id, await compiledLauncher());
  const result = {
    fdb,
    agent,
    agentTsx,
    targets: { kernelMs: 50, rssMb: 120 },
    pass: { kernel: fdb.install.kernelMs < 50 && fdb.renumberAll.kernelMs < 50, rss: agent.rssMb < 120 },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
