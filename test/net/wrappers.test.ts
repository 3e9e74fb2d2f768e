// src/net wrappers: argv shapes, input validation before any process, and the real kernel in a netns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns } from '../../src/lab/netns.js';
import {
  addrDel,
  addrList,
  addrListHere,
  addrReplace,
  processRunner,
  fdbBatch,
  fdbBatchScript,
  fdbList,
  herDestinations,
  linkAdd,
  linkByName,
  linkDel,
  linkSetUp,
  neighFlushBatchScript,
  neighFlushTo,
  vxlanData,
} from '../../src/net/index.js';
import { notRoot, recordingRunner } from '../helpers/netns-lab.js';
import { randomBytes } from 'node:crypto';

describe('net wrappers without the kernel', () => {
  it('rejects a hostile interface name before running anything', async () => {
    const rec = recordingRunner();
    await expect(linkAdd(rec, { kind: 'bridge', name: 'br0;reboot' })).rejects.toThrow();
    await expect(linkSetUp(rec, '$(id)')).rejects.toThrow();
    await expect(linkByName(rec, 'a'.repeat(16))).rejects.toThrow();
    await expect(addrReplace(rec, 'eth0', '10.0.0.1 dev lo', 24)).rejects.toThrow();
    expect(rec.calls).toEqual([]);
  });

  it('addrListHere: in this namespace the addresses come from getifaddrs, with no process, as `ip` sees them', async () => {
    const rec = recordingRunner();
    const here = await addrListHere(rec, 'lo');
    expect(rec.calls).toEqual([]);
    const viaIp = await addrList(processRunner, 'lo');
    expect(here.map(({ ip, prefixLength }) => ({ ip, prefixLength }))).toEqual(
      viaIp.map(({ ip, prefixLength }) => ({ ip, prefixLength })),
    );
    expect(here).toContainEqual({ ip: '127.0.0.1', prefixLength: 8, scope: 'host' });
    expect(await addrListHere(rec, 'nosuchdev0')).toEqual([]);
    await expect(addrListHere(rec, 'lo;id')).rejects.toThrow();
    // another namespace: `ip -n`, as before
    await addrListHere(rec, 'eth0', 'nsx');
    expect(rec.calls.map((c) => c.args.slice(0, 2))).toEqual([['-n', 'nsx']]);
  });

  it('rejects a hostile netns name before running anything', async () => {
    const rec = recordingRunner();
    await expect(linkSetUp(rec, 'eth0', '../etc')).rejects.toThrow();
    await expect(linkSetUp(rec, 'eth0', '-all')).rejects.toThrow();
    expect(rec.calls).toEqual([]);
  });

  it('builds one bridge -batch script and refuses a bad dst in it', async () => {
    expect(
      fdbBatchScript('vxlan100', [
        { op: 'del', mac: '00:00:00:00:00:00', dst: '10.213.0.5' },
        { op: 'append', mac: '00:00:00:00:00:00', dst: '10.213.0.6' },
      ]),
    ).toBe(
      'fdb del 00:00:00:00:00:00 dev vxlan100 dst 10.213.0.5\nfdb append 00:00:00:00:00:00 dev vxlan100 dst 10.213.0.6\n',
    );
    const rec = recordingRunner();
    await expect(
      fdbBatch(rec, 'vxlan100', [{ op: 'append', mac: '00:00:00:00:00:00', dst: '10.0.0.1\nlink del eth0' }]),
    ).rejects.toThrow();
    expect(rec.calls).toEqual([]);
    await fdbBatch(rec, 'vxlan100', [{ op: 'append', mac: '00:00:00:00:00:00', dst: '10.0.0.1' }], 'nsx');
    expect(rec.calls).toEqual([
      {
        file: 'bridge',
        args: ['-n', 'nsx', '-batch', '-'],
        input: 'fdb append 00:00:00:00:00:00 dev vxlan100 dst 10.0.0.1\n',
      },
    ]);
  });

  it('flushes neighbour entries of several addresses in one ip -batch, refusing bad input first', async () => {
    expect(neighFlushBatchScript('eth0', ['10.213.0.5', '10.213.0.6'])).toBe(
      'neigh flush to 10.213.0.5 dev eth0\nneigh flush to 10.213.0.6 dev eth0\n',
    );
    const rec = recordingRunner();
    await expect(neighFlushTo(rec, 'eth0', ['10.213.0.5\nlink del eth0'])).rejects.toThrow();
    await expect(neighFlushTo(rec, 'eth0 up', ['10.213.0.5'])).rejects.toThrow();
    await neighFlushTo(rec, 'eth0', []);
    expect(rec.calls).toEqual([]);
    await neighFlushTo(rec, 'eth0', ['10.213.0.5', '10.213.0.6', '10.213.0.5'], 'nsx');
    expect(rec.calls).toEqual([
      {
        file: 'ip',
        args: ['-n', 'nsx', '-batch', '-'],
        input: 'neigh flush to 10.213.0.5 dev eth0\nneigh flush to 10.213.0.6 dev eth0\n',
      },
    ]);
  });
});

describe.skipIf(notRoot('net wrappers on the kernel'))('net wrappers on the kernel', () => {
  const ns = `eo-${randomBytes(3).toString('hex')}-n`;
  const r = processRunner;

  beforeAll(() => createNetns(ns));
  afterAll(() => deleteNetns(ns));

  it('creates a vxlan device and reads it back with ip -j -d link', async () => {
    await linkAdd(r, { kind: 'veth', name: 'ul0', peer: 'ul1' }, ns);
    await linkAdd(
      r,
      {
        kind: 'vxlan',
        name: 'vxlan100',
        vni: 100,
        port: 4789,
        dev: 'ul0',
        learning: false,
        mac: '02:00:64:00:01:01',
      },
      ns,
    );
    const link = await linkByName(r, 'vxlan100', ns);
    expect(link?.address).toBe('02:00:64:00:01:01');
    expect(vxlanData(link!)).toMatchObject({ id: 100, port: 4789, link: 'ul0', learning: false });
    expect(await linkByName(r, 'nosuchdev', ns)).toBeNull();
  });

  it('programs head-end replication entries in one batch and deletes them again', async () => {
    const dsts = ['10.213.9.1', '10.213.9.2', '10.213.9.3'];
    await fdbBatch(
      r,
      'vxlan100',
      dsts.map((dst) => ({ op: 'append', mac: '00:00:00:00:00:00', dst })),
      ns,
    );
    expect(herDestinations(await fdbList(r, 'vxlan100', ns)).sort()).toEqual(dsts);
    await fdbBatch(r, 'vxlan100', [{ op: 'del', mac: '00:00:00:00:00:00', dst: '10.213.9.2' }], ns);
    expect(herDestinations(await fdbList(r, 'vxlan100', ns)).sort()).toEqual(['10.213.9.1', '10.213.9.3']);
  });

  it('flushes the listed neighbour entries in any state, keeps the others, and an absent one is no error', async () => {
    await linkSetUp(r, 'ul0', ns);
    await addrReplace(r, 'ul0', '10.213.7.1', 24, ns);
    const neigh = async () => {
      const { stdout } = await r.run('ip', ['-n', ns, '-j', 'neigh', 'show', 'dev', 'ul0']);
      return (JSON.parse(stdout || '[]') as Array<{ dst: string }>).map((e) => e.dst).sort();
    };
    for (const [ip, nud] of [
      ['10.213.7.5', 'stale'],
      ['10.213.7.6', 'reachable'],
      ['10.213.7.7', 'reachable'],
    ] as const)
      await r.run('ip', [
        '-n',
        ns,
        'neigh',
        'add',
        ip,
        'dev',
        'ul0',
        'lladdr',
        '02:00:00:00:07:01',
        'nud',
        nud,
      ]);
    expect(await neigh()).toEqual(['10.213.7.5', '10.213.7.6', '10.213.7.7']);
    await neighFlushTo(r, 'ul0', ['10.213.7.5', '10.213.7.6', '10.213.7.9'], ns);
    expect(await neigh()).toEqual(['10.213.7.7']);
    await neighFlushTo(r, 'ul0', ['10.213.7.5', '10.213.7.6'], ns);
    expect(await neigh()).toEqual(['10.213.7.7']);
    await addrDel(r, 'ul0', '10.213.7.1', 24, ns);
  });

  it('replaces an address idempotently and lists it', async () => {
    await addrReplace(r, 'ul0', '10.213.8.1', 24, ns);
    await addrReplace(r, 'ul0', '10.213.8.1', 24, ns);
    expect(await addrList(r, 'ul0', ns)).toEqual([{ ip: '10.213.8.1', prefixLength: 24, scope: 'global' }]);
    await linkDel(r, 'vxlan100', ns);
    expect(await linkByName(r, 'vxlan100', ns)).toBeNull();
  });
});
