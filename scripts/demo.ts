// npm run demo (root): the product's promise in one run. A 3-host cluster created through the API,
// a real etcd on the overlay IPs and one on the underlay IPs, a DHCP outage that renumbers every
// host; the overlay etcd comes back untouched, the underlay etcd does not. Tears everything down.
import { join } from 'node:path';
import { waitFor } from '../src/dev/process.js';
import {
  clusterHealthy,
  etcdGet,
  etcdPut,
  memberList,
  startEtcdCluster,
  waitForEtcdHealthy,
} from '../src/lab/etcd.js';
import { trackPid, underlayAddresses } from '../src/lab/lab.js';
import { runOutage } from '../src/lab/outage.js';
import { overlayEtcdMembers, underlayEtcdMembers, waitForOverlay } from '../src/lab/scenario.js';
import { startLocalStack } from '../src/lab/stack.js';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { pino } from 'pino';

if (process.getuid?.() !== 0) {
  process.stderr.write('npm run demo creates network namespaces: run it as root\n');
  process.exit(2);
}
const t = Date.now();
const say = (msg: string) =>
  process.stdout.write(`[demo +${((Date.now() - t) / 1000).toFixed(1)}s] ${msg}\n`);
const check = (ok: boolean, what: string) => {
  say(`${ok ? 'OK  ' : 'FAIL'} ${what}`);
  if (!ok) process.exitCode = 1;
};

// Our narration on stdout; every log (ours, the SDK's, the core's) on stderr.
const log = pino({ name: 'demo', level: 'warn' }, pino.destination(2));
// The SDK and the core (whose native logs are forwarded, not printed) log through it too.
Runtime.install({
  logger: new DefaultLogger('WARN', (e) => log.warn({ sdk: e.meta }, e.message)),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});
const stack = await startLocalStack({ hosts: 3, log, onStep: say });
try {
  const { lab, api, ips } = stack;
  const name = stack.cluster.name;
  say(`cluster ${name} is Ready: VIP ${stack.cluster.vip} held by ${stack.cluster.vipHolder}`);
  for (const h of stack.cluster.hosts) say(`  ${h.hostId}: overlay ${h.overlayIp}  underlay ${h.underlayIp}`);
  await waitForOverlay(lab.hosts, ips);

  say('starting etcd (3 members) on the OVERLAY IPs, and a control etcd on the UNDERLAY IPs');
  const ov = await startEtcdCluster({
    members: overlayEtcdMembers(lab, ips),
    dataDir: join(lab.runDir, 'etcd-ov'),
    token: 'demo-ov',
  });
  const ul = await startEtcdCluster({
    members: underlayEtcdMembers(lab, await underlayAddresses(lab)),
    dataDir: join(lab.runDir, 'etcd-ul'),
    token: 'demo-ul',
    clientPort: 12379,
    peerPort: 12380,
    loopbackClient: true,
  });
  for (const pid of [...ov.pids, ...ul.pids]) trackPid(lab, { pid, comm: 'etcd' });
  const ovT = { ns: lab.hosts[0]!.ns, endpoint: ov.endpoint(lab.hosts[0]!.hostId) };
  const ulT = { ns: lab.hosts[0]!.ns, endpoint: 'http://127.0.0.1:12379' };
  await waitFor(
    'etcd clusters healthy',
    async () => (await clusterHealthy(ovT)) && (await clusterHealthy(ulT)),
    {
      timeoutMs: 30_000,
      intervalMs: 200,
    },
  );
  await etcdPut(ovT, '/demo/key', 'written-before-outage');
  await etcdPut(ulT, '/demo/key', 'written-before-outage');
  const members = await memberList(ovT);
  say(
    `both etcd clusters healthy; key written; overlay members: ${members.map((m) => `${m.name}=${m.peerUrls}`).join(' ')}`,
  );

  say('OUTAGE: dnsmasq restarted with a different range and no leases; every udhcpc restarted');
  const outage = await runOutage(lab);
  for (const h of lab.hosts) say(`  ${h.hostId}: ${outage.before[h.hostId]} -> ${outage.after[h.hostId]}`);
  check(
    lab.hosts.every((h) => outage.after[h.hostId] !== outage.before[h.hostId]),
    'every underlay IP changed',
  );
  const overlayAt = await waitForOverlay(lab.hosts, ips, 30_000);
  say(`overlay ping matrix answers ${overlayAt - outage.lastLeaseAtMs} ms after the last new lease`);
  const etcdAt = await waitForEtcdHealthy(ovT, 30_000);
  say(`etcd on the overlay healthy ${etcdAt - outage.lastLeaseAtMs} ms after the last new lease`);
  check((await etcdGet(ovT, '/demo/key')) === 'written-before-outage', 'overlay etcd: key intact');
  check(
    JSON.stringify(await memberList(ovT)) === JSON.stringify(members),
    'overlay etcd: member list unchanged',
  );
  await waitFor(
    'the cluster to record the new underlay addresses',
    async () => (await api.getCluster(name)).hosts.every((h) => h.underlayIp === outage.after[h.hostId]),
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  const after = await api.getCluster(name);
  check(after.vip === stack.cluster.vip, `VIP unchanged (${after.vip})`);
  check(
    after.hosts.every((h) => h.overlayIp === ips[h.hostId]),
    'every overlay IP unchanged',
  );
  check(!(await clusterHealthy(ulT)), 'control: etcd bound to the underlay IPs is NOT healthy');
  check(
    (await etcdGet(ulT, '/demo/key')) === null,
    'control: underlay etcd cannot serve a linearizable read',
  );
  say(`events: ${(await api.events(name)).map((e) => e.type).join(', ')}`);
} finally {
  say('tearing down');
  await stack.close();
}
say(process.exitCode ? 'demo FAILED' : 'demo passed');
process.exit(process.exitCode ?? 0);
