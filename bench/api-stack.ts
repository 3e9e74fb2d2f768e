// The system under test of `npm run bench:api`: our own Temporal dev server (free loopback ports, a temp
// SQLite file or in-memory), a product CA and mosquitto with the product's own config and ACL (as
// `edge-overlay dev` runs them), the control worker (with its host relay) and the API (with enrollment) in
// child processes (bench/api-control-plane.ts; one each, or both in one: BenchTopology), and a child with
// the fake agents (bench/api-agents.ts). Everything is stopped by PID (never by name), also when a start
// fails half way.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { startBroker } from '../src/broker/mosquitto.js';
import { repoRoot } from '../src/dev/paths.js';
import { execa, stopChild } from '../src/dev/process.js';
import { startTemporalDevServer } from '../src/dev/temporal-server.js';
import { ProductCa } from '../src/pki/ca.js';
import { z } from 'zod';
import { type AgentFleet, startAgentFleet } from './api-fleet.js';

/** Environment of the child (bench/api-control-plane.ts). */
export const CHILD_ENV = {
  temporal: 'EO_BENCH_TEMPORAL',
  token: 'EO_BENCH_TOKEN',
  bundle: 'EO_BENCH_WORKFLOW_BUNDLE',
  logLevel: 'EO_BENCH_LOG_LEVEL',
  /** ca.crt and ca.key (0600) of the bench's own CA; the child issues its control certificate there. */
  pkiDir: 'EO_BENCH_PKI_DIR',
  brokerUrl: 'EO_BENCH_BROKER_URL',
  /** ChildRole: what the child runs (default all). */
  role: 'EO_BENCH_ROLE',
} as const;

export const childRoleSchema = z.enum(['worker', 'api', 'all']);
export type ChildRole = z.infer<typeof childRoleSchema>;

/**
 * split: the control worker and the API in processes of their own, as production runs them (docker-compose's
 * `worker` and `api`); neither one's garbage collection or busy event loop delays the other. combined: both
 * in one process, as `edge-overlay dev` runs them.
 */
export const benchTopologySchema = z.enum(['split', 'combined']);
export type BenchTopology = z.infer<typeof benchTopologySchema>;

export interface BenchStackOptions {
  /** Temporal persistence: a temp SQLite file (as `edge-overlay dev`) or in-memory. */
  store: 'file' | 'memory';
  /** A pre-built workflow bundle (tests); otherwise the child bundles the workflows from source. */
  workflowBundlePath?: string;
  log: Logger;
  /** Log level of the children (default warn). */
  childLogLevel?: string;
  /** Start the fake agents' child (default true); without it no host ever answers a command. */
  agents?: boolean;
  /** Default split (production's shape). */
  topology?: BenchTopology;
  startTimeoutMs?: number;
}

export interface BenchStack {
  apiUrl: string;
  token: string;
  temporalAddress: string;
  brokerUrl: string;
  /** The fake agents; null when started with `agents: false`. */
  agents: AgentFleet | null;
  /** controlPlane: the worker's child (with the API when combined); api: the API's own child, if split. */
  pids: { temporal: number; broker: number; controlPlane: number; api: number | null; agents: number | null };
  /** Idempotent: stops the child, then the Temporal server, then removes the temp dir. */
  stop(): Promise<void>;
}

export async function startBenchStack(opts: BenchStackOptions): Promise<BenchStack> {
  const { log } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'eo-bench-api-'));
  const undo: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })];
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      for (const fn of undo.reverse()) await fn().catch((err: unknown) => log.error({ err }, 'stop failed'));
    })();
    return stopped;
  };
  try {
    const temporal = await startTemporalDevServer({
      headless: true,
      ...(opts.store === 'file' ? { dbFile: join(dir, 'temporal.db') } : {}),
      log,
    });
    undo.push(() => temporal.stop());
    log.info({ address: temporal.address, pid: temporal.pid }, 'Temporal dev server up');

    // The bench's own CA (temp dir, 0600 key) and broker: product config and ACL, loopback, free port.
    const pkiDir = join(dir, 'pki');
    const ca = await ProductCa.loadOrCreate(pkiDir);
    const broker = await startBroker({ dir: join(dir, 'broker'), port: 0, ca, log });
    undo.push(() => broker.stop());

    const token = randomBytes(24).toString('base64url');
    const spawn = (role: ChildRole) => {
      const child = spawnChild(role, {
        [CHILD_ENV.temporal]: temporal.address,
        [CHILD_ENV.token]: token,
        [CHILD_ENV.logLevel]: opts.childLogLevel ?? 'warn',
        [CHILD_ENV.pkiDir]: pkiDir,
        [CHILD_ENV.brokerUrl]: broker.url,
        ...(opts.workflowBundlePath ? { [CHILD_ENV.bundle]: opts.workflowBundlePath } : {}),
      });
      undo.push(() => stopChild(child, 10_000));
      return child;
    };
    const timeoutMs = opts.startTimeoutMs ?? 180_000;
    const split = (opts.topology ?? 'split') === 'split';
    // The worker first, so that the API is stopped first (undo runs backwards) and takes no request that
    // only a stopped worker could have answered.
    const worker = spawn(split ? 'worker' : 'all');
    const workerReady = await readyLine(worker, timeoutMs);
    const apiChild = split ? spawn('api') : null;
    const apiUrl = apiChild ? (await readyLine(apiChild, timeoutMs)).apiUrl : workerReady.apiUrl;
    if (!apiUrl) throw new Error('the control plane did not say where its API listens');
    log.info(
      { apiUrl, topology: split ? 'split' : 'combined', pid: worker.pid },
      'control worker and API up',
    );
    let agents: AgentFleet | null = null;
    if (opts.agents !== false) {
      agents = await startAgentFleet({ apiUrl, token, log, logLevel: opts.childLogLevel ?? 'warn' });
      // Stopped before the control plane: the agents' offline reports still find the relay.
      undo.push(() => agents!.stop());
    }
    return {
      apiUrl,
      token,
      temporalAddress: temporal.address,
      brokerUrl: broker.url,
      agents,
      pids: {
        temporal: temporal.pid,
        broker: broker.pid,
        controlPlane: worker.pid!,
        api: apiChild?.pid ?? null,
        agents: agents?.pid ?? null,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function spawnChild(role: ChildRole, env: Record<string, string>) {
  return execa(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/api-control-plane.ts')], {
    cwd: repoRoot,
    env: { ...env, [CHILD_ENV.role]: role },
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'inherit',
    reject: false,
    cleanup: true,
  });
}

/** The child's `{"ready": true, …}` line, or an error when it exits or takes too long. */
function readyLine(child: ReturnType<typeof execa>, timeoutMs: number): Promise<{ apiUrl?: string }> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => reject(new Error(`control plane not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const done = () => {
      clearTimeout(timer);
      lines.close();
    };
    lines.on('line', (line) => {
      try {
        const { ready, apiUrl } = JSON.parse(line) as { ready?: unknown; apiUrl?: unknown };
        if (ready !== true) return;
        done();
        resolve(typeof apiUrl === 'string' ? { apiUrl } : {});
      } catch {
        // not the ready line
      }
    });
    child.then(
      (r) => {
        done();
        reject(new Error(`control plane exited (code ${r.exitCode}) before it was ready`));
      },
      (err: unknown) => {
        done();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
