// What the agent tests share, so each file only says what it checks: the whole control plane as `dev` runs
// it (own Temporal dev server, broker, CA, control worker, API on the root loopback), forwarders that let
// agents in host namespaces reach the API and the broker over the underlay, agent processes that enroll
// with join tokens, and a fixture workflow that sends single host commands through the control worker.
import { connectTemporalClient } from '../../src/clients/temporal/closed-channel-guard.js';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { ApiClient } from '../../src/cli/api-client.js';
import { DEFAULT_BROKER_PORT } from '../../src/contract/host-channel.js';
import type { ControlPlane } from '../../src/dev/control-plane.js';
import { DEFAULT_API_PORT } from '../../src/domain/constants.js';
import { startControlForwarder } from '../../src/lab/control-forwarder.js';
import { startLoopbackControlPlane } from '../../src/lab/loopback-plane.js';
import { type NetnsProcess, spawnInNetns } from '../../src/lab/netns.js';
import type { Lab } from '../helpers/netns-lab.js';
import { workflowBundle } from '../helpers/temporal.js';
import type { HostCall } from './fixtures/host-call-workflows.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/host-call-workflows.ts', import.meta.url));

export interface AgentTestPlane {
  plane: ControlPlane;
  /** The API with the admin token (root loopback). */
  api: ApiClient;
  /** A Temporal client on the plane's own server. */
  client: Client;
  /** One host command through the control worker's relay, with the retries the test picks. */
  call(c: HostCall): Promise<WorkflowHandle>;
  stop(): Promise<void>;
}

/** A control plane in a temp dir; `advertise` is what enrollment names as the broker (a lab's ctl ns). */
export async function startAgentTestPlane(o: { advertise?: string } = {}): Promise<AgentTestPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'eo-agent-plane-'));
  const token = randomBytes(24).toString('base64url');
  const stops: Array<() => Promise<unknown>> = [async () => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const plane = await startLoopbackControlPlane({
      dataDir: join(dir, 'control'),
      token,
      log: pino({ level: process.env['EO_PLANE_LOG'] ?? 'silent' }),
      ...(o.advertise ? { brokerAdvertise: o.advertise } : {}),
      workflowBundle: workflowBundle(),
    });
    stops.push(() => plane.stop());
    const connection = await connectTemporalClient({ address: plane.temporal.address });
    stops.push(() => connection.close());
    const client = new Client({ connection });
    // the fixture workflow runs on its own queue; its activities are the control worker's relay
    const native = await NativeConnection.connect({ address: plane.temporal.address });
    stops.push(() => native.close());
    const taskQueue = `agent-test-${randomUUID().slice(0, 8)}`;
    const worker = await Worker.create({ connection: native, taskQueue, workflowsPath: fixtures });
    const running = worker.run();
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
    return {
      plane,
      api: new ApiClient({ baseUrl: plane.apiUrl, token }),
      client,
      call: (c) =>
        client.workflow.start('callHostWorkflow', {
          taskQueue,
          workflowId: `call-${c.hostId}-${randomUUID().slice(0, 8)}`,
          args: [c],
        }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface UnderlayAccess {
  apiUrl: string;
  brokerUrl: string;
}

/** ctlIp:8080 → API and ctlIp:8883 → broker; the lab's cleanup stops the forwarders (by PID) and removes
 * their socket dirs. */
export async function forwardControlPlane(lab: Lab, plane: ControlPlane): Promise<UnderlayAccess> {
  const ctl = lab.ctl!;
  for (const [listenPort, targetPort] of [
    [DEFAULT_API_PORT, Number(new URL(plane.apiUrl).port)],
    [DEFAULT_BROKER_PORT, plane.broker.port],
  ] as const) {
    const fwd = await startControlForwarder({ ctlNs: ctl.ns, ctlIp: ctl.ip, listenPort, targetPort });
    lab.stops.push(fwd.stop);
  }
  return {
    apiUrl: `http://${ctl.ip}:${DEFAULT_API_PORT}`,
    brokerUrl: `mqtts://${ctl.ip}:${DEFAULT_BROKER_PORT}`,
  };
}

/** A fresh single-use join token in a 0600 file (the operator's way to hand it over). */
export async function joinTokenFile(api: ApiClient, hostId: string, dir: string): Promise<string> {
  const { token } = await api.issueJoinToken(hostId);
  const file = join(dir, `${hostId}.join-token`);
  writeFileSync(file, token, { mode: 0o600 });
  return file;
}

export interface AgentProcessOptions {
  hostId: string;
  stateDir: string;
  access: UnderlayAccess;
  tokenFile?: string;
  logFile: string;
}

/** `edge-overlay agent` in the host's namespace, with no admin token and no Temporal address. */
export async function spawnAgent(lab: Lab, ns: string, o: AgentProcessOptions): Promise<NetnsProcess> {
  const proc = await spawnInNetns(
    ns,
    process.execPath,
    [
      join(repo, 'bin/edge-overlay.js'),
      'agent',
      '--host-id',
      o.hostId,
      '--underlay-iface',
      'eth0',
      '--api',
      o.access.apiUrl,
      '--broker',
      o.access.brokerUrl,
      '--state-dir',
      o.stateDir,
      ...(o.tokenFile ? ['--join-token-file', o.tokenFile] : []),
      '--json',
    ],
    {
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        EDGE_OVERLAY_LOG_FORMAT: 'json',
        EDGE_OVERLAY_LOG_LEVEL: 'info',
      },
      logFile: o.logFile,
    },
  );
  lab.processes.push({ pid: proc.pid });
  return proc;
}
