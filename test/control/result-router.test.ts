// The result router and the publisher without a broker or server: which results complete what, and how
// a missing broker connection fails an attempt.
import { ActivityNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../src/control/keyed-queue.js';
import { PendingCommands } from '../../src/control/pending-commands.js';
import { createPublisher } from '../../src/control/publisher.js';
import { createResultRouter } from '../../src/control/result-router.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

function setup(completion: { complete: (t: Uint8Array, r: unknown) => Promise<void> }) {
  const pending = new PendingCommands();
  const failed: unknown[] = [];
  const queue = new KeyedQueue(4, () => undefined);
  const router = createResultRouter({
    pending,
    completion: { complete: completion.complete, fail: async (_t, err) => void failed.push(err) },
    queue,
    log: pino({ level: 'silent' }),
  });
  const add = (id: string, hostId = 'h1') =>
    pending.add({
      id,
      hostId,
      kind: 'setPeers',
      taskToken: new Uint8Array([1]),
      deadline: Date.now() + 30_000,
      publishedAt: Date.now(),
    });
  return { pending, router, queue, failed, add };
}

describe('result router', () => {
  it('completes the command of the topic host once; a second result for it is unknown', async () => {
    const done: unknown[] = [];
    const t = setup({ complete: async (_t, r) => void done.push(r) });
    t.add('cmd-00000001');
    t.router.route('h1', json({ id: 'cmd-00000001', ok: true, result: { changed: true } }));
    t.router.route('h1', json({ id: 'cmd-00000001', ok: true, result: { changed: false } }));
    await t.queue.idle();
    expect(done).toEqual([{ changed: true }]);
    expect(t.router.stats()).toMatchObject({ completed: 1, unknown: 1 });
  });

  it("fails with the host's type and retryability", async () => {
    const t = setup({ complete: async () => undefined });
    t.add('cmd-00000002');
    const error = { type: 'StateWriteFailed', message: 'disk full', nonRetryable: false };
    t.router.route('h1', json({ id: 'cmd-00000002', ok: false, error }));
    await t.queue.idle();
    expect(t.failed).toHaveLength(1);
    expect(t.failed[0]).toBeInstanceOf(ApplicationFailure);
    expect(t.failed[0]).toMatchObject(error);
  });

  it("drops another host's result for the command and leaves it to its addressee", async () => {
    const t = setup({ complete: async () => undefined });
    t.add('cmd-00000003', 'h1');
    t.router.route('h2', json({ id: 'cmd-00000003', ok: true, result: null }));
    await t.queue.idle();
    expect(t.router.stats()).toMatchObject({ foreign: 1, completed: 0 });
    expect(t.pending.peek('cmd-00000003')).toBeDefined();
    t.pending.clear();
  });

  it('counts garbage as invalid, an activity that stopped waiting as late, and retries a transient failure', async () => {
    let calls = 0;
    const t = setup({
      complete: async () => {
        calls++;
        if (calls === 1) throw new Error('unavailable');
        if (calls === 2) throw new ActivityNotFoundError('not found');
      },
    });
    t.router.route('h1', Buffer.from('{not json'));
    t.router.route('h1', json({ id: 'x', ok: true }));
    t.add('cmd-00000004');
    t.router.route('h1', json({ id: 'cmd-00000004', ok: true, result: 1 }));
    await t.queue.idle();
    expect(calls).toBe(2);
    expect(t.router.stats()).toMatchObject({ invalid: 2, late: 1, completed: 0 });
  });
});

describe('publisher', () => {
  it('fails at once, retryable, when the control worker has no broker connection', async () => {
    const offline = { connected: false, on: () => undefined } as unknown as MqttClient;
    const err = await createPublisher(offline, 1_000)
      .publish('edge-overlay/v1/hosts/h1/commands', {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'BrokerUnavailable', nonRetryable: false });
  });
});
