// The agent's Temporal side: a worker on `host/<hostId>` with the host activities and NO workflows, plus a
// client for registration. Connects in the background and reconnects forever (the underlay, and with it
// the connection, may change under us); the overlay never waits for it.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { ApplicationFailure } from '@temporalio/common';
import type { HostActivities } from '../activities/host/contract.js';
import { HostError } from '../domain/host-error.js';

export interface TemporalLoopOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  activities: HostActivities;
  log: Logger;
  onClient: (client: Client | null) => void;
}

export interface TemporalLoop {
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 5000;

export function startTemporalLoop(o: TemporalLoopOptions): TemporalLoop {
  let stopping = false;
  let worker: Worker | undefined;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  const once = async () => {
    let native: NativeConnection | undefined;
    let conn: Connection | undefined;
    try {
      native = await NativeConnection.connect({ address: o.address });
      // No gRPC retry interceptor (the SDK default): it re-sends a failed call from a timer, and if
      // the connection was closed meanwhile (SIGTERM, or this loop reconnecting) that timer throws
      // "Channel has been shut down" as an uncaught exception and kills the agent. The reporter
      // already retries registration every second and heartbeats every interval.
      conn = await Connection.connect({ address: o.address, connectTimeout: '3s', interceptors: [] });
      if (stopping) return;
      worker = await Worker.create({
        connection: native,
        namespace: o.namespace,
        taskQueue: o.taskQueue,
        activities: asTemporalActivities(o.activities),
        shutdownGraceTime: '2s',
      });
      o.onClient(new Client({ connection: conn, namespace: o.namespace }));
      o.log.info({ taskQueue: o.taskQueue, address: o.address }, 'host worker running');
      await worker.run();
    } finally {
      worker = undefined;
      o.onClient(null);
      await conn?.close().catch(() => undefined);
      await native?.close().catch(() => undefined);
    }
  };

  const loop = (async () => {
    let backoff = 250;
    while (!stopping) {
      const started = Date.now();
      try {
        await once();
      } catch (err) {
        o.log.warn({ err: String(err), address: o.address }, 'Temporal not reachable; retrying');
      }
      if (stopping) break;
      if (Date.now() - started > 30_000) backoff = 250;
      await pause(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  })();

  return {
    async stop() {
      stopping = true;
      wake?.();
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      // a connect attempt in flight cannot be aborted: do not wait for it forever
      await Promise.race([loop, new Promise((r) => setTimeout(r, 5000).unref())]);
    },
  };
}

/** Host errors keep their domain type and retry decision as ApplicationFailures on this (v1) path. */
function asTemporalActivities(acts: HostActivities): HostActivities {
  const wrapped: Record<string, (input: never) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(acts) as Array<[string, (input: never) => Promise<unknown>]>) {
    wrapped[name] = async (input) => {
      try {
        return await fn(input);
      } catch (err) {
        if (!(err instanceof HostError)) throw err;
        const { type, message, nonRetryable, details } = err;
        throw ApplicationFailure.create({ type, message, nonRetryable, details });
      }
    };
  }
  return wrapped as unknown as HostActivities;
}
