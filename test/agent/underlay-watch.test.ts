// The underlay watcher's periodic re-check costs no process while nothing changed: it compares the
// interface's addresses through getifaddrs and runs `ip` only when they moved or once a minute (spawning
// `ip` every 5 s was a third of the idle agent's CPU). Real interfaces of this process's namespace (lo),
// a recording runner in place of `ip`.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ifindexOf, type UnderlayWatcher, watchUnderlay } from '../../src/agent/underlay-watch.js';
import type { LineProcess, Runner } from '../../src/net/index.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(5))
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
}

/** `ip -j addr show` answers with `answer()`; `ip monitor` lines are pushed by the test. */
function recordingRunner(answer: () => string) {
  const calls: string[][] = [];
  const monitors: string[][] = [];
  let push: (line: string) => void = () => undefined;
  const runner: Runner = {
    async run(file, args) {
      calls.push([file, ...args]);
      return { stdout: answer(), stderr: '', exitCode: 0 };
    },
    spawnLines(_file, args, onLine): LineProcess {
      monitors.push([...args]);
      push = onLine;
      let stop: () => void = () => undefined;
      const done = new Promise<void>((r) => (stop = r));
      return { pid: undefined, done, stop: async () => stop() };
    },
  };
  return { runner, calls, monitors, event: (line: string) => push(line) };
}

const loAnswer = (ip: string) =>
  JSON.stringify([
    { ifname: 'lo', addr_info: [{ family: 'inet', local: ip, prefixlen: 8, scope: 'global' }] },
  ]);

let watcher: UnderlayWatcher | undefined;
afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
});

describe('watchUnderlay', () => {
  it('re-checks without spawning `ip` while getifaddrs shows the same addresses', async () => {
    const rec = recordingRunner(() => loAnswer('127.0.0.1'));
    watcher = await watchUnderlay({
      runner: rec.runner,
      iface: 'lo',
      log,
      recheckMs: 10,
      onChange: () => {},
    });
    expect(watcher.current()).toBe('127.0.0.1');
    await sleep(105); // at most ~10 ticks, fewer than one full-check period (12 ticks)
    expect(rec.calls).toHaveLength(1); // the first read only
    await until(() => rec.calls.length >= 2, 3000); // tick 12: one check through `ip` regardless
  });

  it('with --netns (another namespace than getifaddrs sees) every tick asks `ip`', async () => {
    const rec = recordingRunner(() => loAnswer('10.0.0.1'));
    watcher = await watchUnderlay({
      runner: rec.runner,
      iface: 'lo',
      netns: 'elsewhere',
      log,
      recheckMs: 10,
      onChange: () => {},
    });
    await until(() => rec.calls.length >= 4, 3000);
    expect(rec.calls[0]).toEqual(['ip', '-n', 'elsewhere', '-j', '-4', 'addr', 'show', 'dev', 'lo']);
  });

  it('an `ip monitor` event is passed on at once (onEvent) and re-checked after the debounce', async () => {
    let ip = '127.0.0.1';
    const rec = recordingRunner(() => loAnswer(ip));
    const events: number[] = [];
    const changes: Array<[string | null, number | undefined]> = [];
    watcher = await watchUnderlay({
      runner: rec.runner,
      iface: 'lo',
      log,
      recheckMs: 60_000,
      debounceMs: 20,
      onEvent: () => events.push(Date.now()),
      onChange: (next, _previous, prefixLength) => changes.push([next, prefixLength]),
    });
    const reads = rec.calls.length;
    ip = '127.0.0.2';
    rec.event('2: lo    inet 127.0.0.2/8 scope host lo');
    expect(events).toHaveLength(1); // synchronously, before the debounce
    expect(changes).toEqual([]);
    await sleep(80);
    // With the prefix the same read saw: the agent's report needs no `ip` run of its own.
    expect(changes).toEqual([['127.0.0.2', 8]]);
    expect(rec.calls.length - reads).toBe(1);
  });
  it("events of other devices (the VIP lease renewed on the overlay bridge) are not the underlay's", async () => {
    const rec = recordingRunner(() => loAnswer('127.0.0.1'));
    const events: string[] = [];
    watcher = await watchUnderlay({
      runner: rec.runner,
      iface: 'lo',
      log,
      recheckMs: 60_000,
      debounceMs: 5,
      onEvent: () => events.push('event'),
      onChange: () => {},
    });
    const before = rec.calls.length;
    for (let i = 0; i < 5; i++) {
      rec.event('7: scbr-100    inet 100.64.192.1/32 scope global dynamic scbr-100');
      rec.event('       valid_lft 1sec preferred_lft 1sec');
    }
    rec.event('Deleted 7: scbr-100    inet 100.64.192.1/32 scope global dynamic scbr-100');
    await sleep(30);
    expect(events).toEqual([]);
    expect(rec.calls.length).toBe(before); // no `ip` re-check for them
    rec.event('1: lo    inet 127.0.0.2/8 scope host lo');
    rec.event('       valid_lft forever preferred_lft forever');
    expect(events).toEqual(['event', 'event']);
    await until(() => rec.calls.length === before + 1, 1000);
  });

  it('a renumbering keeps the monitor (same interface); in another namespace it starts afresh', async () => {
    let answer = loAnswer('127.0.0.1');
    const same = recordingRunner(() => answer);
    watcher = await watchUnderlay({
      runner: same.runner,
      iface: 'lo',
      log,
      recheckMs: 60_000,
      debounceMs: 5,
      onChange: () => {},
    });
    expect(same.monitors).toEqual([['monitor', 'address', 'dev', 'lo']]);
    for (const next of ['[]', loAnswer('127.0.0.3')]) {
      answer = next; // DHCP: the lease goes, the next one comes, on the same device (ifindex)
      same.event('1: lo    inet 127.0.0.1/8 scope host lo');
      await sleep(40);
    }
    expect(watcher.current()).toBe('127.0.0.3');
    expect(same.monitors).toHaveLength(1);
    await watcher.stop();

    answer = loAnswer('127.0.0.1');
    const other = recordingRunner(() => answer);
    watcher = await watchUnderlay({
      runner: other.runner,
      iface: 'lo',
      netns: 'elsewhere',
      log,
      recheckMs: 60_000,
      debounceMs: 5,
      onChange: () => {},
    });
    answer = '[]';
    other.event('1: lo    inet 127.0.0.1/8 scope host lo');
    await until(() => other.monitors.length === 2, 1000);
    expect(other.monitors[1]).toEqual(['-n', 'elsewhere', 'monitor', 'address']); // every device while none
  });

  it('ifindexOf reads sysfs of this namespace', () => {
    expect(ifindexOf('lo')).toBe(1);
    expect(ifindexOf('nosuchdev0')).toBeUndefined();
    expect(ifindexOf('../../etc')).toBeUndefined(); // refused by the name check, never read
  });
});
