// The production control worker (`edge-overlay worker` as a child process: the Temporal runtime is
// installed once per process, and the test process already has one) against the test Temporal server,
// with --temporal-metrics-port and --metrics-port: the SDK's core serves `temporal_` metrics in the
// Prometheus format, and our page says the broker is not connected (none runs here). A taken metrics
// port: test/cli/serve-ports.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/process.js';
import { type CliProcess, spawnCli } from '../cli/serve-support.js';
import { temporalAddress } from '../helpers/temporal.js';

let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eo-temporal-metrics-'));
  env = {
    EDGE_OVERLAY_LOG_FORMAT: 'json',
    EDGE_OVERLAY_TEMPORAL: temporalAddress(),
    EDGE_OVERLAY_PKI_DIR: join(dir, 'pki'),
    // nothing listens there: the relay keeps trying, the worker runs anyway
    EDGE_OVERLAY_BROKER_URL: `mqtts://127.0.0.1:${await freePort()}`,
  };
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('edge-overlay worker metrics', () => {
  let worker: CliProcess | undefined;
  afterAll(async () => {
    await worker?.stop();
  });

  it('serves the Temporal SDK metrics and our own on their ports', async () => {
    const temporalPort = await freePort();
    const ownPort = await freePort();
    worker = spawnCli(
      ['worker', '--temporal-metrics-port', String(temporalPort), '--metrics-port', String(ownPort)],
      env,
    );
    await worker.waitFor(/"msg":"control worker running"/, 150_000);
    const sdk = await fetch(`http://127.0.0.1:${temporalPort}/metrics`);
    expect(sdk.status).toBe(200);
    const text = await sdk.text();
    expect(text).toMatch(/^# TYPE temporal_worker_task_slots_available gauge$/m);
    expect(text).toMatch(/^temporal_num_pollers\{.*task_queue="edge-overlay".*\} \d+$/m);
    // durations in seconds (useSecondsForDurations): a request to the local server is far below 1 s
    const sum = /^temporal_request_latency_sum\{[^}]*\} ([\d.e-]+)$/m.exec(text);
    expect(Number(sum?.[1])).toBeLessThan(5);

    const own = await (await fetch(`http://127.0.0.1:${ownPort}/metrics`)).text();
    expect(own).toContain('edge_overlay_control_broker_connected 0\n');
    expect(own).toContain('# TYPE edge_overlay_control_command_publishes_total counter\n');
    expect(await worker.stop()).toBe(0);
    worker = undefined;
  }, 180_000);
});
