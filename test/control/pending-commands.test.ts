// PendingCommands and the command deadline: one result per command, and nothing outlives its deadline.
import { describe, expect, it } from 'vitest';
import { PendingCommands } from '../../src/control/pending-commands.js';
import { commandDeadline } from '../../src/control/relay-activities.js';

const command = (id: string, deadline: number) => ({
  id,
  hostId: 'h1',
  kind: 'setPeers' as const,
  taskToken: new Uint8Array([1, 2, 3]),
  deadline,
  publishedAt: Date.now(),
});

describe('PendingCommands', () => {
  it('gives an entry to exactly one taker; peek leaves it in place', () => {
    const p = new PendingCommands();
    p.add(command('cmd-00001', Date.now() + 60_000));
    expect(p.peek('cmd-00001')?.hostId).toBe('h1');
    expect(p.take('cmd-00001')?.id).toBe('cmd-00001');
    expect(p.take('cmd-00001')).toBeUndefined();
    expect(p.size).toBe(0);
  });

  it('forgets an entry shortly after its deadline and says so', async () => {
    const expired: string[] = [];
    const p = new PendingCommands((c) => expired.push(c.id));
    const now = Date.now();
    p.add(command('cmd-short', now + 50), now);
    p.add(command('cmd-long', now + 60_000), now);
    await new Promise((r) => setTimeout(r, 1_300));
    expect(expired).toEqual(['cmd-short']);
    expect(p.peek('cmd-short')).toBeUndefined();
    expect(p.size).toBe(1);
    expect(p.expired).toBe(1);
    p.clear();
    expect(p.size).toBe(0);
  });

  it('refuses a duplicate id', () => {
    const p = new PendingCommands();
    p.add(command('cmd-00001', Date.now() + 1_000));
    expect(() => p.add(command('cmd-00001', Date.now() + 1_000))).toThrow(/duplicate/);
    p.clear();
  });
});

describe('PendingCommands heartbeats (an attempt the worker never got ends at its heartbeat timeout)', () => {
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('heartbeats an unanswered entry with a heartbeat timeout every 40 % of it, and stops once taken', async () => {
    const beats: string[] = [];
    const p = new PendingCommands({ heartbeat: (c) => beats.push(c.id) });
    const now = Date.now();
    p.add({ ...command('cmd-beat', now + 60_000), heartbeatTimeoutMs: 250 }, now); // every 100 ms
    p.add(command('cmd-none', now + 60_000), now); // no heartbeat timeout: never heartbeated
    await pause(30);
    expect(beats).toEqual([]); // an answer within the first share costs no heartbeat
    await pause(350);
    const counted = beats.length;
    expect(counted).toBeGreaterThanOrEqual(2);
    expect(new Set(beats)).toEqual(new Set(['cmd-beat']));
    p.take('cmd-beat');
    await pause(250);
    expect(beats.length).toBe(counted);
    p.clear();
  });

  it('stops heartbeating an entry that expired, and after clear()', async () => {
    const beats: string[] = [];
    const expired: string[] = [];
    const p = new PendingCommands({
      heartbeat: (c) => beats.push(c.id),
      onExpired: (c) => expired.push(c.id),
    });
    const now = Date.now();
    p.add({ ...command('cmd-exp', now), heartbeatTimeoutMs: 250 }, now); // expires after the 1 s grace
    p.add({ ...command('cmd-clr', now + 60_000), heartbeatTimeoutMs: 250 }, now);
    await pause(1_150);
    expect(expired).toEqual(['cmd-exp']);
    p.clear();
    const counted = beats.length;
    await pause(250);
    expect(beats.length).toBe(counted);
  });
});

describe('commandDeadline', () => {
  const base = {
    scheduledTimestampMs: 1_000_000,
    scheduleToCloseTimeoutMs: 0,
    startToCloseTimeoutMs: 20_000,
  };
  it('is the attempt start-to-close from now', () => {
    expect(commandDeadline(base, 1_005_000)).toBe(1_025_000);
  });
  it('is the schedule-to-close when that comes first', () => {
    expect(commandDeadline({ ...base, scheduleToCloseTimeoutMs: 30_000 }, 1_020_000)).toBe(1_030_000);
  });
});
