// bench:events — history events per host-hour of an idle cluster over the v2 host channel (issue 12,
// point 4). Real parts: a Temporal dev server, mosquitto with the product CA, the control worker with its
// relay, and one MQTT session per host under its own certificate (the agent's channel; commands answered
// in memory). After the cluster is Ready it idles IDLE_S seconds (default 60), halfway through every host
// drops its TCP connection and reconnects (as after renumbering); then it counts the new history events of
// the cluster and host workflows. v1 spent ~4 events per host per 10 s heartbeat (~1440 per host-hour).
// Usage: npm run bench:events [-- IDLE_S]   Prints one JSON line.
import { connectTemporalClient } from '../src/clients/temporal/closed-channel-guard.js';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { startHostChannel, type HostChannel } from '../src/agent/channel/index.js';
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
import { FakeHost } from '../test/workflows/support/fake-host.js';

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
  const channels: HostChannel[] = [];
  for (const [i, hostId] of hostIds.entries()) {
    const { privateKeyPem } = generateHostKey();
    const { certPem } = await ca.signHostCsr(await createCsr(hostId, privateKeyPem), hostId);
    const underlayIp = `10.99.0.${10 + i}`;
    await registerHost(client, { hostId, underlayIp });
    const identity = { hostId, brokerUrl: broker.url, caPem: ca.certPem, certPem, privateKeyPem };
    const fake = new FakeHost(hostId, underlayIp);
    mkdirSync(join(dir, hostId), { mode: 0o700 });
    const handlers = fake.activities();
    let claimed = false;
    // The site elects the VIP (issue 13): the one control-plane host, 1 of 1 voters, holds it as soon as
    // its policy arrives and reports so once, as its agent's elector would.
    const setPeers = handlers.setPeers;
    handlers.setPeers = async (input) => {
      const result = await setPeers(input);
      if (input.vip && !claimed && input.vip.eligible.some((e) => e.hostId === hostId)) {
        claimed = true;
        const policyVersion = input.vip.policyVersion;
        const cluster = input.spec.clusterName;
        channel.reportVip({
          cluster,
          seq: 1,
          holding: true,
          reason: 'Initial',
          at: Date.now(),
          policyVersion,
        });
      }
      return result;
    };
    const channel = await startHostChannel({
      identity,
      stateDir: join(dir, hostId),
      handlers,
      log,
      epoch: Date.now(),
      agentVersion: 'bench',
    });
    stack.push(() => channel.stop());
    await channel.reportUnderlay(underlayIp, 'eth0', 24);
    channels.push(channel);
  }

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
