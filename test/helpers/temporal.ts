// Connections and workers against the harness's real Temporal dev server.
import { connectTemporalClient } from '../../src/clients/temporal/closed-channel-guard.js';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

export const temporalAddress = (): string => inject('temporalAddress');
export const workflowBundle = () => ({ codePath: inject('workflowBundlePath') });

export async function testClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await connectTemporalClient({ address: temporalAddress() });
  return { client: new Client({ connection }), close: () => connection.close() };
}

/** A unique task queue per test so tests never steal each other's tasks. */
export const uniqueTaskQueue = (prefix = 'test'): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A worker on the shared server, using the bundle built once in global setup unless told otherwise. */
export async function testWorker(
  opts: Omit<WorkerOptions, 'connection'> & { taskQueue: string },
): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const worker = await Worker.create({
    connection,
    ...(opts.workflowsPath ? {} : { workflowBundle: workflowBundle() }),
    ...opts,
  });
  return { worker, close: () => connection.close() };
}

/** A worker that is already running; `stop()` shuts it down, waits for it and closes its connection. */
export async function runningWorker(
  opts: Parameters<typeof testWorker>[0],
): Promise<{ worker: Worker; stop: () => Promise<void> }> {
  const { worker, close } = await testWorker(opts);
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await close();
    },
  };
}
