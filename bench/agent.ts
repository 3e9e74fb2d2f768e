// npm run bench:agent -- [--hosts 3] [--idle 30]
// The agent as it runs on an edge host (compiled, the lean entry bin/edge-overlay-agent.js, no Temporal SDK)
// in a DHCP lab whose agents reach a real control plane over the underlay: after the cluster is Ready and
// has settled, samples every agent's RSS (/proc/<pid>/status VmRSS) and CPU time (/proc/<pid>/stat) over
// an idle window. Goals (issue 12, point 7): RSS < 70 MB, idle CPU < 1 %. Prints JSON on stdout.
import { execa } from 'execa';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { repoRoot } from '../src/dev/paths.js';
import { startLocalStack } from '../src/lab/stack.js';

const { values } = parseArgs({
  options: { hosts: { type: 'string', default: '3' }, idle: { type: 'string', default: '30' } },
});
const hosts = Number(values.hosts);
const idleS = Number(values.idle);
if (!Number.isInteger(hosts) || hosts < 2 || !(idleS > 0))
  throw new Error('usage: --hosts N (>= 2) --idle SECONDS');
if (process.getuid?.() !== 0) throw new Error('bench:agent creates network namespaces: run it as root');
const log = pino({ name: 'bench-agent', level: 'warn' }, pino.destination(2));
const say = (m: string) => process.stderr.write(`[bench:agent] ${m}\n`);

/** Page-size independent: VmRSS in kB. CPU: utime + stime in clock ticks (USER_HZ = 100 on Linux). */
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
const cpuTicks = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
};
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

// Compiled like a release (the lean entry prefers a build); inside the repo so ESM and node_modules resolve.
const outDir = join(repoRoot, '.tools', 'bench-agent-dist');
say('compiling the agent');
await execa('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: repoRoot });
process.env.EDGE_OVERLAY_AGENT_MAIN = join(outDir, 'agent', 'main.js');
try {
  const stack = await startLocalStack({ hosts, log, onStep: say });
  try {
    const pids = stack.lab.hosts.map((h) => h.agent?.pid).filter((p): p is number => typeof p === 'number');
    say(`cluster Ready; ${pids.length} agents; settling 10 s, then ${idleS} s idle`);
    await sleep(10_000);
    const before = pids.map(cpuTicks);
    const t0 = Date.now();
    await sleep(idleS * 1000);
    const seconds = (Date.now() - t0) / 1000;
    const rss = pids.map(rssMb);
    const cpu = pids.map((p, i) => ((cpuTicks(p) - before[i]!) / 100 / seconds) * 100);
    const result = {
      bench: 'agent',
      hosts,
      idleSeconds: round(seconds),
      rssMb: {
        max: round(Math.max(...rss)),
        mean: round(rss.reduce((a, b) => a + b, 0) / rss.length),
        all: rss.map((r) => round(r)),
      },
      idleCpuPercent: {
        max: round(Math.max(...cpu), 2),
        mean: round(cpu.reduce((a, b) => a + b, 0) / cpu.length, 2),
      },
      goals: { rssMb: 70, idleCpuPercent: 1 },
      entry: 'bin/edge-overlay-agent.js (compiled, --max-semi-space-size=1)',
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await stack.close();
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
