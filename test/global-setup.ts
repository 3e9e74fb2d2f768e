// Starts ONE real Temporal dev server (in-memory, free ports) and bundles the workflows once for
// every test file; stops the server by PID at the end.
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startTemporalDevServer, type TemporalDevServer } from '../src/dev/temporal-server.js';
import { workflowBundleOptions } from '../src/workflow-bundle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

let server: TemporalDevServer | undefined;
let dir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startTemporalDevServer({ headless: true });
  dir = mkdtempSync(join(tmpdir(), 'edge-overlay-test-'));
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: quietLogger });
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', workflowBundlePath);
  process.stdout.write(`[global-setup] Temporal dev server ${server.address} (pid ${server.pid})\n`);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };
