// The control worker: connects, registers workflows and control activities, runs. Nothing else.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { createControlActivities } from './activities/control/index.js';
import { CONTROL_TASK_QUEUE } from './domain/constants.js';

export interface ControlWorkerOptions {
  address: string;
  namespace: string;
  log: Logger;
  /** A pre-built bundle (tests bundle once); otherwise the workflows are bundled from source. */
  workflowBundle?: WorkflowBundleOption;
  taskQueue?: string;
}

export interface ControlWorker {
  worker: Worker;
  /** Resolves when the worker has stopped; rejects if it crashed. */
  done: Promise<void>;
  stop(): Promise<void>;
}

// Same extension as this file: .ts under tsx/vitest, .js once compiled.
const ownExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
export const workflowsPath = fileURLToPath(new URL(`./workflows/index${ownExtension}`, import.meta.url));

export async function startControlWorker(opts: ControlWorkerOptions): Promise<ControlWorker> {
  const nativeConnection = await NativeConnection.connect({ address: opts.address });
  const clientConnection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection: clientConnection, namespace: opts.namespace });
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? CONTROL_TASK_QUEUE,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createControlActivities({ client }),
  });
  const done = worker.run().finally(async () => {
    await clientConnection.close();
    await nativeConnection.close();
  });
  opts.log.info({ taskQueue: opts.taskQueue ?? CONTROL_TASK_QUEUE }, 'control worker running');
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
