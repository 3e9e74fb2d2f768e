// The control worker: connects, registers workflows and control activities, runs. Nothing else.
// Two Temporal Workers on one connection and one bundle: the control queue runs every workflow and
// activity; the cluster queue beside it (domain/task-queues) runs only `cluster/<name>` entities, with
// their own task slots, sticky queue and workflow thread, so a cluster's queries and short workflow tasks
// never wait behind the tasks of a thousand joining hosts. Clusters that started on the control queue
// keep running there (it still registers every workflow type).
import { connectTemporalClient } from './clients/temporal/closed-channel-guard.js';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createControlActivities } from './activities/control/index.js';
import type { TemporalConnectOptions } from './clients/temporal/connection.js';
import { withHostRelayActivities } from './control/activity-names.js';
import { type BrokerCredentials, type HostRelay, startHostRelay } from './control/host-relay.js';
import type { HostCsrSigner, RenewedCertificate } from './control/renewal.js';
import { CONTROL_TASK_QUEUE } from './domain/constants.js';
import { bundlerLogger } from './log.js';
import { workflowBundleOptions } from './workflow-bundle.js';
import type { ControlMetrics } from './metrics/control-metrics.js';
import { clusterTaskQueue } from './domain/task-queues.js';
import { REF_PUSH_WAVE } from './workflows/push-waves.js';

/** Activity polls the control queue keeps open: one per push a round starts at once (REF_PUSH_WAVE), so
 * each of a round's host commands is handed to a waiting poll as soon as the cluster schedules it. With
 * the SDK's default of 10, a 20-host renumbering's pushes reached the relay over ~0.9 s instead of ~0.3 s
 * (the rest waited in the server's backlog). A/B of the 20-host convergence test, 12 renumberings each, API
 * complete after the overlay: median 2.10 s with 10 polls, 1.69 s with 40; over 2 s in 7 vs 5 of 12.
 * An open poll costs an idle long-poll request, nothing more. */
export const CONTROL_ACTIVITY_POLLS = REF_PUSH_WAVE;

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
  /** Records the host commands' metrics (only with `broker`); served by the caller. */
  metrics?: ControlMetrics;
}

export interface ControlWorker {
  worker: Worker;
  /** The Worker of the cluster queue (cluster entities only). */
  clusterWorker: Worker;
  /** The host channel's control side, when started with `broker`. */
  relay?: HostRelay;
  /** Resolves when the worker has stopped; rejects if it crashed. */
  done: Promise<void>;
  stop(): Promise<void>;
}

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
        ...(opts.metrics
          ? { onCommandOutcome: opts.metrics.onCommandOutcome, onRoundTrip: opts.metrics.onRoundTrip }
          : {}),
      })
    : undefined;
  if (relay && opts.metrics) {
    const stats = () => relay.stats();
    opts.metrics.attach({ brokerConnected: () => stats().connected, pendingCommands: () => stats().pending });
  }
  const relayActivities =
    relay && opts.metrics ? opts.metrics.countPublishes(relay.activities) : relay?.activities;
  // A claim or release tells the host at once (retained on its membership topic).
  const control = createControlActivities({
    client,
    ...(relay ? { onMembership: relay.announceMembership } : {}),
  });
  const taskQueue = opts.taskQueue ?? CONTROL_TASK_QUEUE;
  let worker: Worker | undefined;
  let clusterWorker: Worker;
  try {
    // Bundled once for both Workers, with a logger that keeps webpack's module report out of the way.
    const workflowBundle = opts.workflowBundle ?? {
      code: (await bundleWorkflowCode({ ...workflowBundleOptions(), logger: bundlerLogger(opts.log) })).code,
    };
    const common = { connection: nativeConnection, namespace: opts.namespace, workflowBundle };
    worker = await Worker.create({
      ...common,
      taskQueue,
      maxConcurrentActivityTaskPolls: CONTROL_ACTIVITY_POLLS,
      activities: relayActivities ? withHostRelayActivities(control, relayActivities) : control,
    });
    // Cluster runs call the control activities (registry claims) on their own queue; their host commands
    // and join children go to the control queue.
    clusterWorker = await Worker.create({
      ...common,
      taskQueue: clusterTaskQueue(taskQueue),
      activities: control,
    });
  } catch (err) {
    if (worker) await discard(worker); // it holds the connection until it ran
    await relay?.stop();
    await clientConnection.close();
    await nativeConnection.close();
    throw err;
  }
  // The relay completes activities through the client: it stops before the client's connection closes.
  // Either Worker stopping (or crashing) stops the other: they are one control worker.
  const both = [worker, clusterWorker];
  const stopBoth = () => {
    for (const w of both) if (w.getState() === 'RUNNING') w.shutdown();
  };
  const runs = both.map((w) => w.run().finally(stopBoth));
  const done = Promise.all(runs)
    .then(() => undefined)
    .finally(async () => {
      const started = Date.now();
      await relay?.stop();
      await clientConnection.close();
      await nativeConnection.close();
      // A hang here once held a dev stop for ~60 s (CI, not reproduced since): leave a trace when slow.
      const ms = Date.now() - started;
      if (ms > 2000) opts.log.warn({ ms }, 'control worker: closing its connections was slow');
    });
  opts.log.info({ taskQueue, clusterTaskQueue: clusterTaskQueue(taskQueue) }, 'control worker running');
  return {
    worker,
    clusterWorker,
    ...(relay ? { relay } : {}),
    done,
    async stop() {
      stopBoth();
      await done;
    },
  };
}

/** A Worker that was created but is not wanted: run and stop it at once, so it lets go of its connection. */
async function discard(worker: Worker): Promise<void> {
  const run = worker.run();
  worker.shutdown();
  await run.catch(() => undefined);
}
