// One real mosquitto + a control worker with the host relay (startControlWorker with `broker`) on its own
// task queue of the shared Temporal dev server, running the relay fixture workflows.
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { RenewedCertificate } from '../../../src/control/renewal.js';
import { CONTROL_IDENTITY } from '../../../src/contract/host-channel.js';
import { type ControlWorker, startControlWorker } from '../../../src/worker.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { temporalAddress, testClient, uniqueTaskQueue } from '../../helpers/temporal.js';

export interface RelayHarness {
  broker: TestBroker;
  client: Client;
  control: ControlWorker;
  taskQueue: string;
  renewed: RenewedCertificate[];
  /** Stops the control worker (and its relay): a control-plane outage. */
  stopControl(): Promise<void>;
  /** Starts a new control worker after stopControl(), like a restarted control plane. */
  startControl(): Promise<void>;
  stop(): Promise<void>;
}

const noop = () => undefined;
const quietBundler = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };

export async function startRelayHarness(): Promise<RelayHarness> {
  const broker = await startTestBroker();
  const tc = await testClient();
  const renewed: RenewedCertificate[] = [];
  try {
    const { code } = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../fixtures/relay-workflows.ts', import.meta.url)),
      logger: quietBundler,
    });
    const creds = await broker.credentials(CONTROL_IDENTITY);
    const taskQueue = uniqueTaskQueue('relay');
    const startControl = () =>
      startControlWorker({
        address: temporalAddress(),
        namespace: 'default',
        log: pino({ level: process.env['RELAY_TEST_LOG'] ?? 'silent' }),
        workflowBundle: { code },
        taskQueue,
        broker: { url: broker.url, caPem: broker.caPem, certPem: creds.certPem, keyPem: creds.keyPem },
        ca: broker.ca,
        onCertificateRenewed: async (r) => void renewed.push(r),
      });
    const harness: RelayHarness = {
      broker,
      client: tc.client,
      control: await startControl(),
      taskQueue,
      renewed,
      stopControl: () => harness.control.stop(),
      async startControl() {
        harness.control = await startControl();
      },
      async stop() {
        await harness.control.stop();
        await tc.close();
        await broker.stop();
      },
    };
    return harness;
  } catch (err) {
    await tc.close();
    await broker.stop();
    throw err;
  }
}

/** Starts a harness before the file's tests and stops it after; the returned object forwards to it. */
export function useRelayHarness(): RelayHarness {
  let current: RelayHarness | undefined;
  beforeAll(async () => {
    current = await startRelayHarness();
  });
  afterAll(async () => {
    await current?.stop();
  });
  return new Proxy({} as RelayHarness, {
    get: (_target, key) => {
      if (!current) throw new Error('the relay harness is not started');
      return Reflect.get(current, key);
    },
  });
}
