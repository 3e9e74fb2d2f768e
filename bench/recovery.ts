// npm run bench:recovery -- --hosts 3,10,20 [--outages 5]
// For each lab size: a real control plane, a DHCP lab with an agent per host, a cluster created
// through the API, then repeated outages (every host renumbered). Measures, from the last host's new
// lease: full-mesh overlay reachability (UDP mesh prober, every ordered pair) and, for 3 hosts,
// `etcdctl endpoint health --cluster` on an etcd bound to the overlay IPs. Prints JSON.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { waitFor } from '../src/dev/process.js';
import { clusterHealthy, startEtcdCluster, waitForEtcdHealthy } from '../src/lab/etcd.js';
import { trackPid } from '../src/lab/lab.js';
import { startMeshProbers, waitForMesh } from '../src/lab/mesh.js';
import { runOutage } from '../src/lab/outage.js';
import { overlayEtcdMembers } from '../src/lab/scenario.js';
import { startLocalStack } from '../src/lab/stack.js';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { pino } from 'pino';

const { values } = parseArgs({
  options: { hosts: { type: 'string', default: '3,10,20' }, outages: { type: 'string', default: '5' } },
});
const sizes = values.hosts.split(',').map(Number);
const outages = Number(values.outages);
if (sizes.some((n) => !Number.isInteger(n) || n < 2) || !Number.isInteger(outages) || outages < 1)
  throw new Error('usage: --hosts 3,10,20 --outages 5');
if (process.getuid?.() !== 0) throw new Error('bench:recovery creates network namespaces: run it as root');

/** stdout carries only the JSON result: every log (ours, the SDK's, the core's) goes to stderr. */
const log = pino({ name: 'bench', level: 'warn' }, pino.destination(2));
// The SDK and the core (whose native logs are forwarded, not printed) log through it too.
Runtime.install({
  logger: new DefaultLogger('WARN', (e) => log.warn({ sdk: e.meta }, e.message)),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, max: s.at(-1)!, all: xs };
};

async function benchSize(n: number) {
  const stack = await startLocalStack({ hosts: n, log });
  const { lab, ips } = stack;
  try {
    const intervalMs = await startMeshProbers(lab, ips);
    await waitForMesh(lab, 0, 60_000);
    const etcdTarget =
      n === 3 ? { ns: lab.hosts[0]!.ns, endpoint: `http://${ips[lab.hosts[0]!.hostId]}:2379` } : null;
    if (etcdTarget) {
      const etcd = await startEtcdCluster({
        members: overlayEtcdMembers(lab, ips),
        dataDir: join(lab.runDir, 'etcd'),
        token: 'bench',
      });
      for (const pid of etcd.pids) trackPid(lab, { pid, comm: 'etcd' });
      await waitFor('etcd healthy', () => clusterHealthy(etcdTarget), { timeoutMs: 30_000, intervalMs: 200 });
    }
    const runs: Array<{ renumberMs: number; overlayMs: number; etcdMs: number | null }> = [];
    for (let k = 0; k < outages; k++) {
      const outage = await runOutage(lab);
      const t0 = outage.lastLeaseAtMs;
      const [meshAt, etcdAt] = await Promise.all([
        waitForMesh(lab, outage.startedAtMs),
        etcdTarget ? waitForEtcdHealthy(etcdTarget, 30_000, 50) : Promise.resolve(null),
      ]);
      runs.push({
        renumberMs: outage.renumberMs,
        overlayMs: Math.max(0, meshAt - t0),
        etcdMs: etcdAt === null ? null : etcdAt - t0,
      });
      process.stderr.write(
        `[bench] ${n} hosts, outage ${k + 1}/${outages}: ${JSON.stringify(runs.at(-1))}\n`,
      );
      await sleep(2000);
    }
    return {
      hosts: n,
      outages,
      probeIntervalMs: intervalMs,
      renumberMs: stats(runs.map((r) => r.renumberMs)),
      overlayReachableMs: stats(runs.map((r) => r.overlayMs)),
      ...(etcdTarget ? { etcdHealthyMs: stats(runs.map((r) => r.etcdMs!)) } : {}),
    };
  } finally {
    await stack.close();
  }
}

const results = [];
for (const n of sizes) results.push(await benchSize(n));
process.stdout.write(
  `${JSON.stringify({ benchmark: 'recovery', from: 'last host new lease', results }, null, 2)}\n`,
);
process.exit(0);
