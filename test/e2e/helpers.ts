// The e2e harness: the real control worker and API on the root loopback (against the test run's
// Temporal dev server), a DHCP lab whose agents reach them over the underlay, and a cluster.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startApiServer } from '../../src/api/server.js';
import { ApiClient, type ClusterStatus } from '../../src/cli/api-client.js';
import { normalizeCreate } from '../../src/api/cluster-create.js';
import { freePort, waitFor } from '../../src/dev/process.js';
import type { ClusterOptions } from '../../src/domain/cluster-options.js';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import { type ClusterInput, clusterWorkflowType } from '../../src/contract/workflow-messages.js';
import { createLab, destroyLab, startAgent, startControlAccess } from '../../src/lab/lab.js';
import { createClusterAndWait, hostSpecs, waitForRegistered } from '../../src/lab/scenario.js';
import type { LabState } from '../../src/lab/state.js';
import { createLogger } from '../../src/log.js';
import { startControlWorker } from '../../src/worker.js';
import { temporalAddress, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';

async function startClusterDirectly(
  connection: Connection,
  taskQueue: string,
  api: ApiClient,
  input: ClusterInput,
): Promise<ClusterStatus> {
  await new Client({ connection }).workflow.start(clusterWorkflowType, {
    workflowId: clusterWorkflowId(input.name),
    taskQueue,
    args: [input],
  });
  let view: ClusterStatus | undefined;
  await waitFor(
    `cluster ${input.name} Ready`,
    async () => {
      view = await api.getCluster(input.name);
      return view.phase === 'Ready' && view.vipHolder !== null;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
  return view!;
}

export interface E2eEnv {
  lab: LabState;
  api: ApiClient;
  cluster: ClusterStatus;
  name: string;
  temporalPort: number;
  apiPort: number;
  token: string;
  close(): Promise<void>;
}

export interface E2eOptions {
  hosts: number;
  controlPlanes?: number;
  /**
   * Cluster tunables (e.g. a short heartbeat timeout for VIP failover). The API takes no tunables,
   * so with these the cluster workflow is started directly, as the API would start it.
   */
  clusterOptions?: Partial<ClusterOptions>;
  /** Agents' `--heartbeat-interval` in seconds (default: the agent's 10 s). */
  agentHeartbeatIntervalS?: number;
}

export async function startE2e(o: E2eOptions): Promise<E2eEnv> {
  const log = createLogger({ level: 'warn', format: 'json' });
  const token = randomBytes(24).toString('base64url');
  const taskQueue = uniqueTaskQueue('e2e');
  const address = temporalAddress();
  const stack: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const fn of stack.reverse()) await fn().catch(() => undefined);
    stack.length = 0;
  };
  try {
    const worker = await startControlWorker({
      address,
      namespace: 'default',
      log,
      workflowBundle: workflowBundle(),
      taskQueue,
    });
    stack.push(() => worker.stop());
    const connection = await Connection.connect({ address });
    stack.push(() => connection.close());
    const apiPort = await freePort();
    const server = await startApiServer(
      { client: new Client({ connection }), log, token, uiBaseUrl: null, namespace: 'default', taskQueue },
      '127.0.0.1',
      apiPort,
    );
    stack.push(() => server.close());
    const lab = await createLab({
      hosts: o.hosts,
      runDir: mkdtempSync(join(tmpdir(), 'eo-e2e-')),
      dhcp: true,
    });
    stack.push(() => destroyLab(lab, { keepRunDir: process.env['EO_KEEP_LAB'] === '1' }));
    const temporalPort = Number(address.split(':')[1]);
    await startControlAccess(lab, { temporalPort, apiPort });
    const heartbeat =
      o.agentHeartbeatIntervalS !== undefined ? { heartbeatIntervalS: o.agentHeartbeatIntervalS } : {};
    for (const h of lab.hosts) await startAgent(lab, h, { token, logLevel: 'info', ...heartbeat });
    const api = new ApiClient({ baseUrl: server.url, token });
    await waitForRegistered(api, lab);
    const name = `e2e-${lab.id}`;
    const hosts = hostSpecs(lab, o.controlPlanes ?? 2);
    const cluster = o.clusterOptions
      ? await startClusterDirectly(connection, taskQueue, api, {
          ...normalizeCreate({ name, hosts }),
          options: o.clusterOptions,
        })
      : await createClusterAndWait(api, name, hosts);
    return { lab, api, cluster, name, temporalPort, apiPort, token, close };
  } catch (err) {
    await close();
    throw err;
  }
}
