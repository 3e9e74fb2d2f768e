// Host commands through the control worker (startControlWorker with a broker) against the real Temporal
// dev server and a real mosquitto: published into the host's session, completed by that host's result.
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { hostTopic } from '../../src/contract/host-channel.js';
import type { RelayCall } from './fixtures/relay-workflows.js';
import { echo, startFakeHost } from './support/fake-host.js';
import { useRelayHarness } from './support/harness.js';
import { uniqueHostId, waitUntil } from './support/wait.js';

const hid = uniqueHostId;

describe('host relay: commands and results', () => {
  const h = useRelayHarness();

  const call = (c: RelayCall) =>
    h.client.workflow.start('relayCallWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `relay-${randomUUID()}`,
      args: [c],
    });
  const stats = () => h.control.relay!.stats();

  it('publishes the command into the host session and completes the activity with its result', async () => {
    const h1 = await startFakeHost(h.broker, hid('h1'), { answer: echo });
    const input = { version: 7, peers: [] };
    const handle = await call({ hostId: h1.hostId, activity: 'setPeers', input, maximumAttempts: 1 });
    expect(await handle.result()).toEqual({ kind: 'setPeers', input });
    expect(h1.commands).toHaveLength(1);
    const [command] = h1.commands;
    expect(command!.input).toEqual(input); // the addressee is the topic, not part of the input
    expect(command!.deadline).toBeGreaterThan(Date.now());
    expect(command!.deadline).toBeLessThan(Date.now() + 21_000);
    expect(stats().pending).toBe(0);
  });

  it("a failure result fails the activity with the host's error type; nonRetryable stops the retries", async () => {
    const h1 = await startFakeHost(h.broker, hid('h1'), {
      answer: (c) => ({
        id: c.id,
        ok: false,
        error: { type: 'PreflightFailed', message: 'no vxlan module', nonRetryable: true },
      }),
    });
    const handle = await call({ hostId: h1.hostId, activity: 'preflight', input: {}, maximumAttempts: 3 });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    const cause = (activity as ActivityFailure).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('PreflightFailed');
    expect((cause as ApplicationFailure).message).toBe('no vxlan module');
    expect(h1.commands).toHaveLength(1);
  });

  it("another host can neither complete h1's command by its id nor publish on h1's topic", async () => {
    const h1 = await startFakeHost(h.broker, hid('h1')); // holds its answer
    const h2 = await startFakeHost(h.broker, hid('h2'));
    const handle = await call({
      hostId: h1.hostId,
      activity: 'assignVip',
      input: { vip: '100.64.192.1' },
      maximumAttempts: 1,
    });
    await waitUntil(() => h1.commands.length === 1);
    const id = h1.commands[0]!.id;
    const forged = { id, ok: true, result: { forgedBy: h2.hostId } };
    const before = stats();
    // Straight onto h1's topic: the broker's ACL refuses it (PUBACK "Not authorized"; delivered nowhere).
    await expect(
      h2.client.publishAsync(hostTopic(h1.hostId, 'results'), JSON.stringify(forged), { qos: 1 }),
    ).rejects.toThrow(/Not authorized/);
    // On its own topic with h1's command id: the relay sees it and refuses it.
    await h2.publish('results', forged);
    await waitUntil(() => stats().foreign === before.foreign + 1);
    expect(stats().completed).toBe(before.completed);
    expect(stats().pending).toBe(before.pending);
    await h1.publish('results', { id, ok: true, result: { changed: true } });
    expect(await handle.result()).toEqual({ changed: true });
  });

  it('a command published while the host is offline completes once it reconnects', async () => {
    const hostId = hid('h1');
    const creds = await h.broker.credentials(hostId);
    const first = await startFakeHost(h.broker, hostId, { creds }); // creates the persistent session
    await first.close();
    const before = stats().published;
    const handle = await call({ hostId, activity: 'teardown', input: {}, maximumAttempts: 1 });
    await waitUntil(() => stats().published === before + 1);
    const back = await startFakeHost(h.broker, hostId, { creds, answer: echo, subscribe: false });
    expect(await handle.result()).toEqual({ kind: 'teardown', input: {} });
    expect(back.commands).toHaveLength(1);
  });

  it('a host without a session fails the attempt at once as HostNotConnected (retryable)', async () => {
    const handle = await call({ hostId: hid('never'), activity: 'preflight', input: {}, maximumAttempts: 2 });
    const started = Date.now();
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(Date.now() - started).toBeLessThan(5_000); // not the 20 s start-to-close
    const cause = (err.cause as ActivityFailure).cause as ApplicationFailure;
    expect(cause.type).toBe('HostNotConnected');
    expect(cause.nonRetryable).toBe(false);
  });

  it('an invalid host id fails the activity without retries', async () => {
    const handle = await call({
      hostId: 'Not_A/Host#',
      activity: 'preflight',
      input: {},
      maximumAttempts: 3,
    });
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    const cause = (err.cause as ActivityFailure).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
  });
});
