// Measures the command round trip through startHostRelay on this machine (real mosquitto, real Temporal
// dev server): publish → the host's result → activity completed, p50/p99 over 200 commands in a row,
// and the same seen from the workflow (schedule → completion, workflow time). Printed as JSON.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlActivities } from '../../src/activities/control/index.js';
import { withHostRelayActivities } from '../../src/control/activity-names.js';
import { type HostRelay, startHostRelay } from '../../src/control/host-relay.js';
import { CONTROL_IDENTITY } from '../../src/contract/host-channel.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { runningWorker, testClient, uniqueTaskQueue } from '../helpers/temporal.js';
import { echo, startFakeHost } from './support/fake-host.js';

const COMMANDS = 200;
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const summary = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1)! };
};

describe('host relay latency', () => {
  let broker: TestBroker;
  let tc: Awaited<ReturnType<typeof testClient>>;
  let relay: HostRelay;
  let worker: { stop: () => Promise<void> };
  const roundTrips: number[] = [];
  const taskQueue = uniqueTaskQueue('relay-latency');

  beforeAll(async () => {
    broker = await startTestBroker();
    tc = await testClient();
    const creds = await broker.credentials(CONTROL_IDENTITY);
    relay = await startHostRelay({
      broker: { url: broker.url, caPem: broker.caPem, certPem: creds.certPem, keyPem: creds.keyPem },
      client: tc.client,
      log: pino({ level: 'silent' }),
      onRoundTrip: (ms) => void roundTrips.push(ms),
    });
    worker = await runningWorker({
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./fixtures/relay-workflows.ts', import.meta.url)),
      activities: withHostRelayActivities(createControlActivities({ client: tc.client }), relay.activities),
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await tc?.close();
    await broker?.stop();
  });

  it(`${COMMANDS} commands one after the other: every one completes, p99 well under a second`, async () => {
    const host = await startFakeHost(broker, `lat-${randomUUID().slice(0, 6)}`, { answer: echo });
    const inWorkflow: number[] = await tc.client.workflow.execute('relayLoopWorkflow', {
      taskQueue,
      workflowId: `relay-loop-${randomUUID()}`,
      args: [host.hostId, COMMANDS],
    });
    expect(host.commands).toHaveLength(COMMANDS);
    expect(roundTrips).toHaveLength(COMMANDS);
    const relayed = summary(roundTrips);
    const scheduled = summary(inWorkflow);
    process.stdout.write(
      `${JSON.stringify({ relayRoundTripMs: relayed, workflowActivityMs: scheduled, stats: relay.stats() })}\n`,
    );
    expect(relayed.p99).toBeLessThan(1_000);
    expect(relay.stats()).toMatchObject({ completed: COMMANDS, pending: 0, foreign: 0, unknown: 0 });
  });
});
