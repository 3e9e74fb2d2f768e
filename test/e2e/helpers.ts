// The e2e harness: the whole control plane as `edge-overlay dev` runs it (its own Temporal dev server,
// broker, CA, control worker and API on the root loopback), a DHCP lab whose agents enroll with join
// tokens and reach the API and the broker over the underlay, and a cluster.
import { connectTemporalClient } from '../../src/clients/temporal/closed-channel-guard.js';
import { Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeCreate } from '../../src/api/cluster-create.js';
import { ApiClient, type ClusterStatus } from '../../src/cli/api-client.js';
import type { ControlPlane } from '../../src/dev/control-plane.js';
import { waitFor } from '../../src/dev/process.js';
import { CONTROL_TASK_QUEUE } from '../../src/domain/constants.js';
import type { ClusterOptions } from '../../src/domain/cluster-options.js';
import type { OverlayMode } from '../../src/domain/types.js';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import { type ClusterInput, clusterWorkflowType } from '../../src/contract/workflow-messages.js';
import { labBrokerAdvertise, startControlAccess } from '../../src/lab/control-access.js';
import { createLab, destroyLab } from '../../src/lab/lab.js';
import { startAgent } from '../../src/lab/lab-agent.js';
import { controlTargets, startLoopbackControlPlane } from '../../src/lab/loopback-plane.js';
import { createClusterAndWait, hostSpecs, waitForAgentsOnline } from '../../src/lab/scenario.js';
import type { LabState } from '../../src/lab/state.js';
import { createLogger } from '../../src/log.js';
import { workflowBundle } from '../helpers/temporal.js';

async function startClusterDirectly(
  plane: ControlPlane,
  api: ApiClient,
  input: ClusterInput,
  timeoutMs: number,
): Promise<ClusterStatus> {
  const connection = await connectTemporalClient({ address: plane.temporal.address });
  try {
    await new Client({ connection }).workflow.start(clusterWorkflowType, {
      workflowId: clusterWorkflowId(input.name),
      taskQueue: CONTROL_TASK_QUEUE,
      args: [input],
    });
  } finally {
    await connection.close();
  }
  let view: ClusterStatus | undefined;
  await waitFor(
    `cluster ${input.name} Ready`,
    async () => {
      view = await api.getCluster(input.name);
      return view.phase === 'Ready' && view.vipHolder !== null;
    },
    { timeoutMs, intervalMs: 250 },
  );
  return view!;
}

export interface E2eEnv {
  plane: ControlPlane;
  lab: LabState;
  api: ApiClient;
  cluster: ClusterStatus;
  name: string;
  token: string;
  /** The lab's forwarders go to these root-loopback ports (for startControlAccess after a cut). */
  targets: { apiPort: number; brokerPort: number };
  close(): Promise<void>;
}

export interface E2eOptions {
  hosts: number;
  controlPlanes?: number;
  /** Cluster tunables. The API takes none, so with these the cluster workflow is started directly, as the
   * API would start it. */
  clusterOptions?: Partial<ClusterOptions>;
  mode?: OverlayMode;
}

/** Everything torn down by close(), also when a step fails; EO_KEEP_LAB=1 keeps the lab's run dir, and
 * E2E_LOG_FILE=path writes the control plane's debug log (broker lines too) there, to trace a run. */
export async function startE2e(o: E2eOptions): Promise<E2eEnv> {
  const log = process.env['E2E_LOG_FILE']
    ? createLogger({
        level: 'debug',
        format: 'json',
        destination: (await import('pino')).pino.destination(process.env['E2E_LOG_FILE']),
      })
    : createLogger({ level: 'warn', format: 'json' });
  const token = randomBytes(24).toString('base64url');
  const dir = mkdtempSync(join(tmpdir(), 'eo-e2e-'));
  const stack: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const fn of stack.reverse()) await fn().catch(() => undefined);
    stack.length = 0;
  };
  // The control plane's data (the Temporal dev server's SQLite file above all) on tmpfs: on this VM's disk
  // every SQLite commit cost ~75 ms, and the dev server writes history one commit at a time, which made
  // Temporal's storage, not edge-overlay, the bottleneck of a 20-host renumbering (signals 0.6-1.35 s each;
  // 0.25-0.43 s on tmpfs). A production Temporal has a database server of its own.
  const controlDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/eo-e2e-') : join(dir, 'control');
  stack.push(async () => {
    if (process.env['EO_KEEP_LAB'] !== '1') rmSync(dir, { recursive: true, force: true });
    rmSync(controlDir, { recursive: true, force: true });
  });
  try {
    const lab = await createLab({ hosts: o.hosts, runDir: join(dir, 'lab'), dhcp: true });
    stack.push(() => destroyLab(lab, { keepRunDir: true }));
    const plane = await startLoopbackControlPlane({
      dataDir: controlDir,
      token,
      log,
      brokerAdvertise: labBrokerAdvertise(lab),
      workflowBundle: workflowBundle(),
    });
    stack.push(() => plane.stop());
    const targets = controlTargets(plane);
    await startControlAccess(lab, targets);
    const api = new ApiClient({ baseUrl: plane.apiUrl, token });
    for (const h of lab.hosts) await startAgent(lab, h, { api, logLevel: 'info' });
    await waitForAgentsOnline(api, lab, 30_000 + o.hosts * 3000);
    const name = `e2e-${lab.id}`;
    const hosts = hostSpecs(lab, o.controlPlanes ?? 2);
    const timeoutMs = 60_000 + o.hosts * 5000;
    const mode = o.mode ? { mode: o.mode } : {};
    const input = { ...normalizeCreate({ name, hosts, ...mode }), options: o.clusterOptions };
    const cluster = o.clusterOptions
      ? await startClusterDirectly(plane, api, input, timeoutMs)
      : await createClusterAndWait(api, name, hosts, timeoutMs, mode);
    return { plane, lab, api, cluster, name, token, targets, close };
  } catch (err) {
    await close();
    throw err;
  }
}
