// The dispatcher's bookkeeping without a broker: duplicates are remembered within a bound (running
// commands never forgotten), and errors keep their ApplicationFailure-like type.
import { describe, expect, it } from 'vitest';
import type { HostActivities } from '../../../src/activities/host/contract.js';
import { CommandDispatcher, toHostError } from '../../../src/agent/channel/index.js';
import type { HostResult } from '../../../src/contract/host-channel.js';
import { log } from './support.js';

const command = (id: string) =>
  JSON.stringify({ id, kind: 'preflight', input: null, deadline: Date.now() + 60_000 });

describe('CommandDispatcher', () => {
  it('remembers at most `remember` finished ids, never forgets one that still runs, and runs each id once', async () => {
    let hold: (() => void) | undefined;
    let calls = 0;
    const handlers = {
      preflight: () => {
        calls++;
        return calls === 1
          ? new Promise((resolve) => (hold = () => resolve('slow')))
          : Promise.resolve('fast');
      },
    } as unknown as HostActivities;
    const published: HostResult[] = [];
    const d = new CommandDispatcher({ handlers, log, publish: (r) => published.push(r), remember: 10 });
    d.receive(command('cmd-slow-0001'));
    for (let i = 0; i < 50; i++) d.receive(command(`cmd-fast-${String(i).padStart(4, '0')}`));
    await new Promise((r) => setTimeout(r, 10));
    d.receive(command('cmd-slow-0001')); // still running: remembered despite 50 newer ids
    d.receive(command('cmd-fast-0049')); // recent: remembered, its result published again
    d.receive(command('cmd-fast-0000')); // evicted long ago: runs again (commands are idempotent)
    hold!();
    await d.idle();
    const runs = published.map((r) => r.id);
    expect(calls).toBe(52);
    expect(d.stats.duplicates).toBe(2);
    expect(runs.filter((id) => id === 'cmd-fast-0049')).toHaveLength(2);
    expect(runs.filter((id) => id === 'cmd-slow-0001')).toHaveLength(1);
  });
});

describe('toHostError', () => {
  it('keeps type and nonRetryable of ApplicationFailure-like errors, names others, clips long text', () => {
    expect(toHostError(Object.assign(new Error('no'), { type: 'InvalidInput', nonRetryable: true }))).toEqual(
      {
        type: 'InvalidInput',
        message: 'no',
        nonRetryable: true,
      },
    );
    expect(toHostError(new RangeError('x'))).toEqual({
      type: 'RangeError',
      message: 'x',
      nonRetryable: false,
    });
    expect(toHostError('plain')).toEqual({ type: 'Error', message: 'plain', nonRetryable: false });
    expect(toHostError(new Error('y'.repeat(5000))).message).toHaveLength(2000);
  });
});
