// The underlay watcher's `ip monitor` listens to the underlay interface only (src/agent/underlay-watch.ts),
// so the site VIP lease renewals on the overlay bridge wake neither `ip monitor` nor the agent. Real
// kernel, one namespace: "und0" (one end of a veth pair) plays the underlay, "vipbr0" the bridge carrying the VIP. Raw
// monitor lines are counted before any filtering of ours; the periodic re-check is off (60 s), so every
// change below is seen through the monitor alone, also after the interface is deleted and re-created
// (a new ifindex).
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type UnderlayWatcher, watchUnderlay } from '../../../src/agent/underlay-watch.js';
import { processRunner, type LineProcess, type Runner } from '../../../src/net/index.js';
import { notRoot } from '../../helpers/netns-lab.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ns = `eov-mon-${randomBytes(3).toString('hex')}`;
const ip = (...args: string[]) => execa('ip', ['-n', ns, ...args]);

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(10))
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
}

async function underlay(addr: string): Promise<void> {
  await ip('link', 'add', 'und0', 'type', 'veth', 'peer', 'name', 'und0p');
  await ip('addr', 'add', `${addr}/24`, 'dev', 'und0');
  await ip('link', 'set', 'und0p', 'up');
  await ip('link', 'set', 'und0', 'up');
}

describe.skipIf(notRoot('underlay ip monitor filter'))('underlay watch: ip monitor by device (netns)', () => {
  const rawLines: string[] = [];
  const changes: (string | null)[] = [];
  let watcher: UnderlayWatcher | undefined;
  /** Runs when the watcher reports the address gone (a DHCP client's next step). */
  let whenGone: (() => void) | undefined;
  /** Delays each `ip monitor`'s start, as on a loaded host where it subscribes late. */
  let monitorStartDelayMs = 0;
  const delayed = (start: () => LineProcess): LineProcess => {
    let real: LineProcess | undefined;
    let stopped = false;
    let finish = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    setTimeout(() => {
      if (stopped) return finish();
      real = start();
      void real.done.then(finish);
    }, monitorStartDelayMs);
    return {
      pid: undefined,
      done,
      stop: async () => {
        stopped = true;
        if (real) await real.stop();
        else finish();
      },
    };
  };

  beforeAll(async () => {
    await execa('ip', ['netns', 'add', ns]);
    // No IPv6: its link-local addresses (DAD completing on a re-created veth) would wake a monitor for
    // every device at odd moments and hide what the last test checks.
    await execa('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    await execa('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
    await ip('link', 'add', 'vipbr0', 'type', 'bridge');
    await ip('link', 'set', 'vipbr0', 'up');
    await underlay('10.77.0.5');
    const runner: Runner = {
      run: (file, args, opts) => processRunner.run(file, args, opts),
      spawnLines: (file, args, onLine) => {
        const start = () =>
          processRunner.spawnLines(file, args, (line) => {
            rawLines.push(line);
            onLine(line);
          });
        return monitorStartDelayMs > 0 ? delayed(start) : start();
      },
    };
    watcher = await watchUnderlay({
      runner,
      iface: 'und0',
      netns: ns,
      log: pino({ level: 'silent' }),
      recheckMs: 60_000,
      debounceMs: 20,
      onChange: (next) => {
        changes.push(next);
        if (next === null) whenGone?.();
      },
    });
    await sleep(300); // the monitor is up
  });
  afterAll(async () => {
    await watcher?.stop();
    await execa('ip', ['netns', 'del', ns], { reject: false });
  });

  it('lease renewals of an address on another device print nothing to the monitor', async () => {
    rawLines.length = 0;
    for (let i = 0; i < 5; i++) {
      const verb = i === 0 ? 'add' : 'change';
      await ip('addr', verb, '100.64.192.1/32', 'dev', 'vipbr0', 'valid_lft', '2', 'preferred_lft', '2');
      await sleep(20);
    }
    await ip('addr', 'del', '100.64.192.1/32', 'dev', 'vipbr0');
    await sleep(200);
    expect(rawLines).toEqual([]);
  });

  it('a new address on the underlay is seen through the monitor', async () => {
    await ip('addr', 'del', '10.77.0.5/24', 'dev', 'und0');
    await ip('addr', 'add', '10.77.0.6/24', 'dev', 'und0');
    await until(() => changes.at(-1) === '10.77.0.6', 2000, 'the new address');
    expect(rawLines.length).toBeGreaterThan(0);
  });

  it('a deleted and re-created underlay interface (new ifindex) is followed, its renewals still filtered', async () => {
    await ip('link', 'del', 'und0');
    await until(() => changes.at(-1) === null, 2000, 'the address gone');
    await underlay('10.77.0.7');
    await until(() => changes.at(-1) === '10.77.0.7', 2000, 'the re-created interface');
    await ip('addr', 'del', '10.77.0.7/24', 'dev', 'und0');
    await ip('addr', 'add', '10.77.0.8/24', 'dev', 'und0');
    await until(() => changes.at(-1) === '10.77.0.8', 2000, 'a change on the new interface');
    // A replaced monitor (here the one for every device, from while the address was gone) listens on for
    // 500 ms beside its successor (a change in between must not go unseen); after that only the filtered one.
    await sleep(700);
    rawLines.length = 0;
    await ip('addr', 'add', '100.64.192.1/32', 'dev', 'vipbr0', 'valid_lft', '2', 'preferred_lft', '2');
    await sleep(200);
    expect(rawLines).toEqual([]);
  });

  it('an address set right after the old one went (DHCP: deconfig, then bound) is seen while the monitor restarts late', async () => {
    monitorStartDelayMs = 300;
    // The DHCP exchange takes a moment: the new address comes 100 ms after the old one went.
    whenGone = () => void sleep(100).then(() => ip('addr', 'add', '10.77.0.9/24', 'dev', 'und0'));
    try {
      await ip('addr', 'del', '10.77.0.8/24', 'dev', 'und0');
      // The re-check tick is 60 s away: only a monitor can see it (before: missed until that tick).
      await until(() => changes.at(-1) === '10.77.0.9', 2000, 'the address set while the monitor restarted');
    } finally {
      monitorStartDelayMs = 0;
      whenGone = undefined;
    }
  });
});
