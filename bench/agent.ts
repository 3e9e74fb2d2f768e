// npm run bench:agent -- [--hosts 3] [--idle 60] [--settle 15]
// The agent as it runs on an edge host (compiled, the lean entry bin/edge-overlay-agent.js with the node
// flags of its own #! line, no Temporal SDK) in a DHCP lab whose agents reach a real control plane over
// the underlay. Each agent enrolled (join token, CSR) and joined the cluster; once it is Ready and has
// settled, every agent is sampled once a second over an idle window: RSS (/proc/<pid>/status VmRSS; the
// highest sample counts, not the last) and CPU time (/proc/<pid>/stat, its own plus its children's, exited
// and still running: the `ip` runs and the `ip -batch`/`ip monitor` children are its cost too). Goals (issue 12, point 7): RSS < 70 MB, idle CPU
// < 1 %, for every agent (the max); control-plane hosts (the site VIP election) and workers are also
// reported apart. Prints JSON on stdout.
import { execa } from 'execa';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { AGENT_ENTRY, agentNodeFlags } from '../src/agent/node-flags.js';
import { repoRoot } from '../src/dev/paths.js';
import {
  cpuTicksWithChildren,
  type MemorySample,
  memorySample,
  pssMb,
  round,
  spread,
  USER_HZ,
} from './agent-measure.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '3' },
    idle: { type: 'string', default: '60' },
    settle: { type: 'string', default: '15' },
  },
});
const hosts = Number(values.hosts);
const idleS = Number(values.idle);
const settleS = Number(values.settle);
if (!Number.isInteger(hosts) || hosts < 2 || !(idleS > 0) || !(settleS >= 0))
  throw new Error('usage: --hosts N (>= 2) --idle SECONDS --settle SECONDS');
if (process.getuid?.() !== 0) throw new Error('bench:agent creates network namespaces: run it as root');
const log = pino({ name: 'bench-agent', level: 'warn' }, pino.destination(2));
const say = (m: string) => process.stderr.write(`[bench:agent] ${m}\n`);

const nodeFlags = agentNodeFlags(AGENT_ENTRY);
// The lab starts each agent as `node $EDGE_OVERLAY_AGENT_NODE_FLAGS bin/edge-overlay-agent.js`: give it
// the entry's own flags, so what is measured is what `edge-overlay-agent` runs with on a host.
// (Read when src/lab/lab-agent.ts loads: hence the dynamic import of the lab below.)
process.env.EDGE_OVERLAY_AGENT_NODE_FLAGS = nodeFlags.join(' ');
const { startLocalStack } = await import('../src/lab/stack.js');

// Compiled like a release (the lean entry prefers a build); inside the repo so ESM and node_modules resolve.
const outDir = join(repoRoot, '.tools', 'bench-agent-dist');
say('compiling the agent');
await execa('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: repoRoot });
process.env.EDGE_OVERLAY_AGENT_MAIN = join(outDir, 'agent', 'main.js');
try {
  const stack = await startLocalStack({ hosts, log, onStep: say });
  try {
    const pids = stack.lab.hosts.map((h) => h.agent?.pid).filter((p): p is number => typeof p === 'number');
    if (pids.length !== hosts) throw new Error(`${hosts} hosts but ${pids.length} agents running`);
    say(`cluster Ready; ${pids.length} agents; settling ${settleS} s, then ${idleS} s idle`);
    await sleep(settleS * 1000);
    const before = pids.map(cpuTicksWithChildren);
    const t0 = Date.now();
    const peak: MemorySample[] = pids.map(memorySample);
    while (Date.now() - t0 < idleS * 1000) {
      await sleep(Math.min(1000, Math.max(0, idleS * 1000 - (Date.now() - t0))));
      pids.forEach((pid, i) => {
        const now = memorySample(pid); // throws if the agent died: a dead agent is no result
        if (now.rssMb > peak[i]!.rssMb) peak[i] = now;
      });
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = pids.map((p, i) => ((cpuTicksWithChildren(p) - before[i]!) / USER_HZ / seconds) * 100);
    const pss = pids.map(pssMb);
    // The control-plane hosts run the site VIP election (the holder: a signed advert every 100 ms, its
    // lease renewed every 200 ms; the others answer each of its adverts, src/agent/vip/advert-cadence.ts;
    // every advert received is a signature check): their idle cost is reported apart from the workers'.
    const roleOf = new Map(stack.cluster.hosts.map((h) => [h.hostId, h.role]));
    const roles = stack.lab.hosts.map((h) => roleOf.get(h.hostId) ?? 'worker');
    const pick = <T>(xs: T[], role: string) => xs.filter((_, i) => roles[i] === role);
    const byRole = (role: string) => {
      const n = roles.filter((r) => r === role).length;
      if (n === 0) return null;
      return {
        agents: n,
        rssMb: spread(pick(peak, role).map((s) => s.rssMb)),
        idleCpuPercent: spread(pick(cpu, role), 2),
      };
    };
    const workerCpu = pick(cpu, 'worker');
    const result = {
      bench: 'agent',
      hosts,
      idleSeconds: round(seconds),
      // per agent: the highest VmRSS sampled during the idle window; median and max across agents
      rssMb: spread(peak.map((s) => s.rssMb)),
      rssAnonMb: spread(peak.map((s) => s.anonMb)),
      rssFileMb: spread(peak.map((s) => s.fileMb)),
      pssMb: pss.every((p) => p !== null) ? spread(pss) : null,
      // own + children's CPU time (exited and still running) over the idle window, in % of one core
      idleCpuPercent: spread(cpu, 2),
      controlPlane: byRole('control-plane'),
      worker: byRole('worker'),
      goals: { rssMb: 70, idleCpuPercent: 1 },
      met: {
        rss: Math.max(...peak.map((s) => s.rssMb)) < 70,
        cpuWorkers: workerCpu.length === 0 ? null : Math.max(...workerCpu) < 1,
        cpuControlPlanes: Math.max(...pick(cpu, 'control-plane'), 0) < 1,
      },
      entry: `node ${nodeFlags.join(' ')} bin/edge-overlay-agent.js (compiled)`,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await stack.close();
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
