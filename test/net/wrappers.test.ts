// src/net wrappers: argv shapes, input validation before any process, and the real kernel in a netns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns } from '../../src/lab/netns.js';
import {
  addrList,
  addrReplace,
  execaRunner,
  fdbBatch,
  fdbBatchScript,
  fdbList,
  herDestinations,
  linkAdd,
  linkByName,
  linkDel,
  linkSetUp,
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
});

describe.skipIf(notRoot('net wrappers on the kernel'))('net wrappers on the kernel', () => {
  const ns = `eo-${randomBytes(3).toString('hex')}-n`;
  const r = execaRunner;

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

  it('replaces an address idempotently and lists it', async () => {
    await addrReplace(r, 'ul0', '10.213.8.1', 24, ns);
    await addrReplace(r, 'ul0', '10.213.8.1', 24, ns);
    expect(await addrList(r, 'ul0', ns)).toEqual([{ ip: '10.213.8.1', prefixLength: 24, scope: 'global' }]);
    await linkDel(r, 'vxlan100', ns);
    expect(await linkByName(r, 'vxlan100', ns)).toBeNull();
  });
});
