// The agent hook with real beacon sockets on the loopback (its "underlay" is lo, 127.0.0.1/8, so the
// directed broadcast 127.255.255.255 never leaves the host; other senders bind 127.0.0.x): each host signs
// with its own key, peers verify with the table's public keys, forged claims move nothing, and the seq
// rule orders tables and beacons whatever order they arrive in.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { SetPeersInput } from '../../../src/activities/host/contract.js';
import {
  type BeaconAgentHook,
  type BeaconMessage,
  createBeaconAgentHook,
  encodeBeacon,
  spkiBase64,
} from '../../../src/agent/beacon/index.js';
import { freePort, waitFor } from '../../../src/dev/process.js';
import type { Peer } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/log.js';
import { testSpec } from '../../fixtures/overlay-spec.js';
import { recordingActivities } from './recording-activities.js';

const log = createLogger({ level: 'silent', format: 'json' });
const spec = testSpec({ clusterName: 'hook' });
const keys = {
  a: generateKeyPairSync('ed25519'),
  b: generateKeyPairSync('ed25519'),
  c: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
};
const pub = (h: keyof typeof keys) => spkiBase64(keys[h].privateKey);
const peerB = (underlayIp: string, seq?: number): Peer => ({
  hostId: 'b',
  underlayIp,
  overlayIp: '100.64.192.3',
  publicKey: pub('b'),
  ...(seq !== undefined ? { seq } : {}),
});
const peerC: Peer = { hostId: 'c', underlayIp: '127.0.0.9', overlayIp: '100.64.192.4', publicKey: pub('c') };

const fakeActivities = (hook: () => BeaconAgentHook, calls: SetPeersInput[]) =>
  recordingActivities(hook, (input) => calls.push(input));

const sockets: Socket[] = [];
/** A raw sender bound to one loopback address (its UDP source). */
async function sender(ip: string): Promise<(packet: Buffer, port: number) => Promise<void>> {
  const s = createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, ip, () => r()));
  return (packet, port) => new Promise((r, j) => s.send(packet, port, '127.0.0.1', (e) => (e ? j(e) : r())));
}
const fromB = (over: Partial<BeaconMessage>): BeaconMessage => ({
  clusterName: 'hook',
  hostId: 'b',
  underlayIp: '127.0.0.2',
  overlayIp: '100.64.192.3',
  epoch: 100,
  counter: 1,
  ...over,
});
const sign = (msg: BeaconMessage, key: KeyObject = keys.b.privateKey) => encodeBeacon(msg, key);
const settle = () => new Promise((r) => setTimeout(r, 150));

describe('beacon agent hook (loopback sockets)', () => {
  const hooks: BeaconAgentHook[] = [];
  afterEach(async () => {
    await Promise.all(hooks.map((h) => h.stop()));
    hooks.length = 0;
    for (const s of sockets.splice(0)) s.close();
  });

  async function hostA(port: number, calls: SetPeersInput[], table: Peer[]) {
    const a = createBeaconAgentHook({
      hostId: 'a',
      underlayIface: 'lo',
      log,
      port,
      intervalMs: 100,
      privateKeyPem: keys.a.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      epoch: 1,
    });
    hooks.push(a);
    const bound = a.bind(fakeActivities(() => a, calls));
    await a.memory.overlayApplied({ spec, overlayIp: '100.64.192.2' });
    await a.memory.peersSet(spec, table);
    return { a, bound };
  }

  it("moves a peer to the address its own signed beacon announces, with that beacon's seq", async () => {
    const port = await freePort();
    const calls: SetPeersInput[] = [];
    const { a, bound } = await hostA(port, calls, [peerB('10.213.0.9', 1), peerC]);
    const b = createBeaconAgentHook({
      hostId: 'b',
      underlayIface: 'lo',
      log,
      port,
      intervalMs: 100,
      privateKeyPem: keys.b.privateKey,
      epoch: 7,
      underlayReport: () => ({ seq: 2, underlayIp: '127.0.0.1' }),
    });
    hooks.push(b);
    b.bind(fakeActivities(() => b, []));
    // an old spec still carrying a per-cluster key: ignored, the host key signs
    await b.memory.overlayApplied({
      spec: { ...spec, beaconKey: 'x'.repeat(43) },
      overlayIp: '100.64.192.3',
    });
    await waitFor('a to move b', async () => calls.length > 0, { timeoutMs: 3000, intervalMs: 20 });
    expect(calls[0]!.peers).toContainEqual(peerB('127.0.0.1', 2));
    expect(a.moves()).toBe(1);
    await settle(); // further beacons repeat the same claim: nothing more to program, nothing re-verified
    expect(calls).toHaveLength(1);
    expect(a.stats()).toMatchObject({ verifications: 1 });
    expect(a.stats()!.repeats).toBeGreaterThan(0);
    // a pushed table built from an older report keeps b's announced address; a newer one wins
    await bound.setPeers({ spec, peers: [peerB('10.213.0.9', 1), peerC] });
    expect(calls.at(-1)!.peers[0]).toEqual(peerB('127.0.0.1', 2));
    await bound.setPeers({ spec, peers: [peerB('10.213.0.10', 3), peerC] });
    expect(calls.at(-1)!.peers[0]).toEqual(peerB('10.213.0.10', 3));
  });

  it('refuses claims signed by another host, by an unknown key, or from hosts not in the table', async () => {
    const port = await freePort();
    const calls: SetPeersInput[] = [];
    const { a } = await hostA(port, calls, [peerB('10.213.0.9', 1), peerC]);
    const send = await sender('127.0.0.2');
    await send(sign(fromB({ seq: 5 }), keys.c.privateKey), port); // c (in the table) speaks for b
    await send(sign(fromB({ seq: 5, counter: 2 }), generateKeyPairSync('ed25519').privateKey), port);
    await send(sign(fromB({ hostId: 'd', seq: 5 }), keys.c.privateKey), port); // d is nobody
    await send(sign(fromB({ hostId: 'c', overlayIp: '100.64.192.4', seq: 5 }), keys.b.privateKey), port);
    await settle();
    expect(calls).toEqual([]);
    expect(a.stats()!.rejected).toMatchObject({ 'bad-signature': 3, 'unknown-host': 1 });
    await send(sign(fromB({ seq: 5, counter: 3 })), port); // b itself
    await waitFor('the real b to move', async () => calls.length > 0, { timeoutMs: 2000, intervalMs: 20 });
    expect(calls[0]!.peers).toContainEqual(peerB('127.0.0.2', 5));
  });

  it('orders beacons and tables: replays, an old epoch, older tables and older beacons move nothing back', async () => {
    const port = await freePort();
    const calls: SetPeersInput[] = [];
    const { bound } = await hostA(port, calls, [peerB('10.0.0.1', 5), peerC]);
    const at = (ip: string) => sender(ip);
    const programmed = () => calls.at(-1)?.peers.find((p) => p.hostId === 'b');
    const [s2, s3, s4] = await Promise.all([at('127.0.0.2'), at('127.0.0.3'), at('127.0.0.4')]);

    const first = sign(fromB({ epoch: 100, counter: 1, seq: 6, underlayIp: '127.0.0.2' }));
    await s2(first, port); // beacon newer than the table: moves b
    await waitFor('b at .2', async () => programmed()?.underlayIp === '127.0.0.2', {
      timeoutMs: 2000,
      intervalMs: 10,
    });
    await bound.setPeers({ spec, peers: [peerB('10.0.0.1', 5), peerC] }); // then an older command
    expect(programmed()).toEqual(peerB('127.0.0.2', 6));

    await s3(sign(fromB({ epoch: 99, counter: 50, seq: 7, underlayIp: '127.0.0.3' })), port); // an old epoch
    await s2(first, port); // a duplicate
    await settle();
    expect(programmed()).toEqual(peerB('127.0.0.2', 6));

    await s3(sign(fromB({ epoch: 101, counter: 1, seq: 8, underlayIp: '127.0.0.3' })), port); // b restarted
    await waitFor('b at .3', async () => programmed()?.underlayIp === '127.0.0.3', {
      timeoutMs: 2000,
      intervalMs: 10,
    });
    await bound.setPeers({ spec, peers: [peerB('127.0.0.4', 9), peerC] }); // a newer command
    expect(programmed()).toEqual(peerB('127.0.0.4', 9));
    const before = calls.length;
    await s3(sign(fromB({ epoch: 101, counter: 2, seq: 8, underlayIp: '127.0.0.3' })), port); // older beacon
    await s4(sign(fromB({ epoch: 100, counter: 9, seq: 10, underlayIp: '127.0.0.4' })), port); // old epoch again
    await settle();
    expect(calls).toHaveLength(before);
    expect(programmed()).toEqual(peerB('127.0.0.4', 9));
  });

  it('without a private key no beacon runs', async () => {
    const port = await freePort();
    const a = createBeaconAgentHook({ hostId: 'a', underlayIface: 'lo', log, port, intervalMs: 100 });
    hooks.push(a);
    a.bind(fakeActivities(() => a, []));
    await a.memory.overlayApplied({ spec, overlayIp: '100.64.192.2' });
    expect(a.stats()).toBeNull();
  });
});
