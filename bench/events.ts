// bench:events — history events per host-hour of an idle cluster over the v2 host channel (issue 12,
// point 4). Real parts: a Temporal dev server, mosquitto with the product CA, the control worker with its
// relay, and one MQTT session per host under its own certificate (bench/fake-agents.ts: the agent's channel,
// commands answered in memory). After the cluster is Ready it idles IDLE_S seconds (default 60), halfway through every host
// drops its TCP connection and reconnects (as after renumbering); then it counts the new history events of
// the cluster and host workflows. v1 spent ~4 events per host per 10 s heartbeat (~1440 per host-hour).
// Usage: npm run bench:events [-- IDLE_S]   Prints one JSON line.
import { connectTemporalClient } from '../src/clients/temporal/closed-channel-guard.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { startBroker } from '../src/broker/mosquitto.js';
import { CONTROL_IDENTITY } from '../src/contract/host-channel.js';
import {
  admitClusterUpdate,
  clusterStatusQuery,
  clusterWorkflowType,
} from '../src/contract/workflow-messages.js';
import { startTemporalDevServer } from '../src/dev/temporal-server.js';
import { CONTROL_TASK_QUEUE, DEFAULT_OVERLAY_CIDR, DEFAULT_VNI } from '../src/domain/constants.js';
import { clusterWorkflowId, hostWorkflowId } from '../src/domain/ids.js';
import { createLogger } from '../src/logger.js';
import { ProductCa } from '../src/pki/ca.js';
import { createCsr, generateHostKey } from '../src/pki/csr.js';
import { ensureSearchAttributes } from '../src/temporal/ensure-search-attributes.js';
import { registerHost } from '../src/temporal/hosts.js';
import { startControlWorker } from '../src/worker.js';
import { FakeAgentFleet } from './fake-agents.js';

const HOSTS = 5;
const idleS = Number(process.argv[2] ?? process.env.IDLE_S ?? 60);
const log = createLogger({ level: 'warn', format: 'json', name: 'bench-events' });
const dir = mkdtempSync(join(tmpdir(), 'bench-events-'));
const stack: Array<() => Promise<unknown>> = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

try {
  const temporal = await startTemporalDevServer({ headless: true });
  stack.push(() => temporal.stop());
  const connection = await connectTemporalClient({ address: temporal.address });
  stack.push(() => connection.close());
  await ensureSearchAttributes(connection, 'default');
  const client = new Client({ connection });
  const ca = await ProductCa.create();
  const broker = await startBroker({ dir: join(dir, 'broker'), port: 0, ca, log });
  stack.push(() => broker.stop());
  const control = await ca.issueClientCert(CONTROL_IDENTITY);
  const creds = { url: broker.url, caPem: ca.certPem, certPem: control.certPem, keyPem: control.keyPem };
  const worker = await startControlWorker({
    address: temporal.address,
    namespace: 'default',
    log,
    broker: creds,
  });
  stack.push(() => worker.stop());

  const hostIds = Array.from({ length: HOSTS }, (_, i) => `bench-${i + 1}`);
  // The agents' real host channels with in-memory commands; the one control-plane host holds the VIP as
  // its elector would (site election clusters are Ready only with a holder).
  const fleet = new FakeAgentFleet({ stateRoot: dir, log });
  stack.push(() => fleet.stop());
  for (const [i, hostId] of hostIds.entries()) {
    const { privateKeyPem } = generateHostKey();
    const { certPem } = await ca.signHostCsr(await createCsr(hostId, privateKeyPem), hostId);
    const underlayIp = `10.99.0.${10 + i}`;
    await registerHost(client, { hostId, underlayIp });
    await fleet.start(
      { hostId, brokerUrl: broker.url, caPem: ca.certPem, certPem, privateKeyPem },
      underlayIp,
    );
  }
  const channels = fleet.all().map((a) => a.channel);

  const name = 'bench-idle';
  const input = {
    name,
    overlayCidr: DEFAULT_OVERLAY_CIDR,
    vni: DEFAULT_VNI,
    mode: 'unicast' as const,
    hosts: hostIds.map((hostId, i) => ({
      hostId,
      role: i === 0 ? ('control-plane' as const) : ('worker' as const),
    })),
  };
  const start = new WithStartWorkflowOperation(clusterWorkflowType, {
    workflowId: clusterWorkflowId(name),
    taskQueue: CONTROL_TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  await client.workflow.executeUpdateWithStart(admitClusterUpdate, {
    args: [input],
    startWorkflowOperation: start,
  });
  const handle = client.workflow.getHandle(clusterWorkflowId(name));
  const t0 = Date.now();
  while ((await handle.query(clusterStatusQuery)).phase !== 'Ready') {
    if (Date.now() - t0 > 60_000) throw new Error('cluster not Ready within 60 s');
    await sleep(200);
  }
  const readyMs = Date.now() - t0;
  await sleep(3000); // let the last pushes and presence settle
  const ids = [clusterWorkflowId(name), ...hostIds.map(hostWorkflowId)];
  const count = async () => {
    const out: number[] = [];
    for (const id of ids) out.push((await client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0);
    return out;
  };
  const before = await count();
  await sleep((idleS * 1000) / 2);
  for (const c of channels) c.reconnectNow(); // dead connections after renumbering: a reconnect costs nothing
  await sleep((idleS * 1000) / 2);
  const after = await count();
  const delta = after.map((n, i) => n - before[i]!);
  const total = delta.reduce((a, b) => a + b, 0);
  const result = {
    bench: 'events',
    hosts: HOSTS,
    idleSeconds: idleS,
    readyMs,
    reconnectsPerHost: 1,
    newEvents: { cluster: delta[0], hosts: delta.slice(1) },
    eventsPerHostHour: Math.round(((total / HOSTS) * 3600) / idleS),
    v1Reference: { eventsPerHostHour: 1440, note: '~4 events per host per 10 s heartbeat' },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  for (const stop of stack.reverse()) await stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
