// The persistent `ip -batch` child and the lifetime verbs against the real kernel (one netns): replies
// are matched to requests, a failing command is reported with its index and does not stop the child,
// a killed child fails its requests and is replaced; `ip addr change` creates a missing IPv4 address
// (the kernel fact the VIP lease's late-renewal guard exists for).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addrDelArgs,
  addrLifetimeArgs,
  addrListed,
  addrPresent,
  addrSetLifetime,
  addrShowArgs,
  processRunner,
  IpBatch,
} from '../../src/net/index.js';
import { createLab, type Lab, notRoot } from '../helpers/netns-lab.js';

const IP = '192.0.2.77';

describe.skipIf(notRoot('ip -batch child'))('ip -batch child and address lifetimes (netns)', () => {
  let lab: Lab;
  let ns: string;
  let batch: IpBatch;
  beforeAll(async () => {
    lab = await createLab({ hosts: 1 });
    ns = lab.hosts[0]!.ns;
    batch = new IpBatch(ns);
  });
  afterAll(async () => {
    await batch?.close();
    await lab?.cleanup();
  });

  it('answers each request with its show line; a failed command is reported by index', async () => {
    const add = await batch.request([
      addrLifetimeArgs('replace', 'eth0', IP, 32, 5),
      addrShowArgs('eth0', IP, 32),
    ]);
    expect(add.failures).toEqual([]);
    expect(addrListed(add.output!, IP, 32)).toBe(true);
    const bad = await batch.request([
      addrLifetimeArgs('change', 'nodev0', IP, 32, 5),
      addrShowArgs('eth0', IP, 32),
    ]);
    expect(bad.failures).toHaveLength(1);
    expect(bad.failures[0]).toMatchObject({ index: 0, message: expect.stringMatching(/nodev0/) });
    expect(addrListed(bad.output!, IP, 32)).toBe(true);
    const [del, gone, noDev] = await Promise.all([
      batch.request([addrDelArgs('eth0', IP, 32), addrShowArgs('eth0', IP, 32)]),
      batch.request([addrDelArgs('eth0', IP, 32), addrShowArgs('eth0', IP, 32)]),
      batch.request([addrShowArgs('nodev0', IP, 32)]),
    ]);
    expect(del.failures).toEqual([]);
    expect(addrListed(del.output!, IP, 32)).toBe(false);
    expect(gone.failures[0]?.message).toMatch(/not found|Cannot assign/i);
    expect(noDev).toMatchObject({ output: null, failures: [{ index: 0 }] });
  });

  it('a killed child fails its pending request and the next request starts a new one', async () => {
    await batch.request([addrShowArgs('eth0', IP, 32)]);
    const pid = batch.pid!;
    const pending = batch.request([['addr', 'show', 'dev', 'eth0']]);
    process.kill(pid, 'SIGKILL');
    const outcome = await pending.then(
      () => 'resolved',
      () => 'rejected',
    );
    // the show may have been answered before the kill landed; either way, once the exit is seen, the
    // next request gets a fresh child (requests written to the dead one fail: the caller retries)
    expect(['resolved', 'rejected']).toContain(outcome);
    await new Promise((r) => setTimeout(r, 100));
    const again = await batch.request([addrShowArgs('eth0', IP, 32)]);
    expect(again.output).not.toBeNull();
    expect(batch.pid).not.toBe(pid);
  });

  it('ip addr change on a missing IPv4 address creates it (exec), and the lifetime removes it', async () => {
    expect(await addrPresent(processRunner, 'eth0', IP, 32, ns)).toBe(false);
    await addrSetLifetime(processRunner, 'change', 'eth0', IP, 32, 1, ns);
    expect(await addrPresent(processRunner, 'eth0', IP, 32, ns)).toBe(true);
    await addrSetLifetime(processRunner, 'replace', 'eth0', IP, 32, 1, ns);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await addrPresent(processRunner, 'eth0', IP, 32, ns)).toBe(false);
  });

  it('a closed batch refuses requests', async () => {
    const b = new IpBatch(ns);
    await b.request([addrShowArgs('eth0', IP, 32)]);
    await b.close();
    await expect(b.request([addrShowArgs('eth0', IP, 32)])).rejects.toThrow(/closed/);
  });
  it('a device deleted and made again is found again: the child that knew the old one is retired', async () => {
    const dev = 'eob0';
    const run = (...a: string[]) => processRunner.run('ip', ['-n', ns, ...a]);
    const make = async () => {
      await run('link', 'add', dev, 'type', 'bridge');
      await run('link', 'set', dev, 'up');
    };
    await make();
    const own = new IpBatch(ns);
    try {
      const first = await own.request([
        addrLifetimeArgs('replace', dev, IP, 32, 5),
        addrShowArgs(dev, IP, 32),
      ]);
      expect(first.failures).toEqual([]);
      const pid = own.pid;
      await run('link', 'del', dev);
      await make(); // same name, new index
      // The old child may still use the old index once; the request after a "no such device" gets a fresh one.
      let reply = await own.request([addrLifetimeArgs('replace', dev, IP, 32, 5), addrShowArgs(dev, IP, 32)]);
      if (reply.failures.length > 0) {
        reply = await own.request([addrLifetimeArgs('replace', dev, IP, 32, 5), addrShowArgs(dev, IP, 32)]);
        expect(own.pid).not.toBe(pid);
      }
      expect(reply.failures).toEqual([]);
      expect(addrListed(reply.output!, IP, 32)).toBe(true);
    } finally {
      await own.close();
      await run('link', 'del', dev).catch(() => undefined);
    }
  });
});
