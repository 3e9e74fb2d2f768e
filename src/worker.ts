// The control worker: connects, registers workflows and control activities, runs. Nothing else.
import { connectTemporalClient } from './clients/temporal/closed-channel-guard.js';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { createControlActivities } from './activities/control/index.js';
import type { TemporalConnectOptions } from './clients/temporal/connection.js';
import { withHostRelayActivities } from './control/activity-names.js';
import { type BrokerCredentials, type HostRelay, startHostRelay } from './control/host-relay.js';
import type { HostCsrSigner, RenewedCertificate } from './control/renewal.js';
import { CONTROL_TASK_QUEUE } from './domain/constants.js';

export interface ControlWorkerOptions {
  address: string;
  namespace: string;
  /** TLS (mutual TLS or an API key) for a remote Temporal, from temporalConnectOptions(address, env);
   * without it the connections are plain, as to the dev server on loopback. */
  temporalTls?: Omit<TemporalConnectOptions, 'address'>;
  log: Logger;
  /** A pre-built bundle (tests bundle once); otherwise the workflows are bundled from source. */
  workflowBundle?: WorkflowBundleOption;
  taskQueue?: string;
  /** v2 host channel: with it, host activities are relayed to the agents over this broker (control
   * identity credentials); without it the worker runs exactly as before (no host relay activities). */
  broker?: BrokerCredentials;
  /** Answers the agents' certificate renewals (only with `broker`). */
  ca?: HostCsrSigner;
  /** Records a renewed certificate's serial on the host (only with `broker` and `ca`). */
  onCertificateRenewed?: (renewed: RenewedCertificate) => Promise<void>;
}

export interface ControlWorker {
  worker: Worker;
  /** The host channel's control side, when started with `broker`. */
  relay?: HostRelay;
  /** Resolves when the worker has stopped; rejects if it crashed. */
  done: Promise<void>;
  stop(): Promise<void>;
}

// Same extension as this file: .ts under tsx/vitest, .js once compiled.
const ownExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
export const workflowsPath = fileURLToPath(new URL(`./workflows/index${ownExtension}`, import.meta.url));

export async function startControlWorker(opts: ControlWorkerOptions): Promise<ControlWorker> {
  const connectOptions = { ...opts.temporalTls, address: opts.address };
  const nativeConnection = await NativeConnection.connect(connectOptions);
  const clientConnection = await connectTemporalClient(connectOptions).catch(async (err: unknown) => {
    await nativeConnection.close();
    throw err;
  });
  const client = new Client({ connection: clientConnection, namespace: opts.namespace });
  const relay = opts.broker
    ? await startHostRelay({
        broker: opts.broker,
        client,
        log: opts.log,
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.onCertificateRenewed ? { onCertificateRenewed: opts.onCertificateRenewed } : {}),
      })
    : undefined;
  // A claim or release tells the host at once (retained on its membership topic).
  const control = createControlActivities({
    client,
    ...(relay ? { onMembership: relay.announceMembership } : {}),
  });
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection: nativeConnection,
      namespace: opts.namespace,
      taskQueue: opts.taskQueue ?? CONTROL_TASK_QUEUE,
      ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
      activities: relay ? withHostRelayActivities(control, relay.activities) : control,
    });
  } catch (err) {
    await relay?.stop();
    await clientConnection.close();
    await nativeConnection.close();
    throw err;
  }
  // The relay completes activities through the client: it stops before the client's connection closes.
  const done = worker.run().finally(async () => {
    await relay?.stop();
    await clientConnection.close();
    await nativeConnection.close();
  });
  opts.log.info({ taskQueue: opts.taskQueue ?? CONTROL_TASK_QUEUE }, 'control worker running');
  return {
    worker,
    ...(relay ? { relay } : {}),
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
