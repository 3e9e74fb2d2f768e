// Pure beacon codec + acceptance rules: tampered, replayed, stale, foreign-cluster and own messages
// are rejected; good ones are accepted exactly once.
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type BeaconMessage,
  BeaconVerifier,
  decodeBeacon,
  directedBroadcast,
  encodeBeacon,
  generateBeaconKey,
  movePeerUnderlay,
  parseBeaconKey,
} from '../../../src/agent/beacon/index.js';
import { nextSeq } from '../../../src/agent/beacon/codec.js';

const key = parseBeaconKey(generateBeaconKey());
const otherKey = parseBeaconKey(generateBeaconKey());
const NOW = 1_800_000_000_000;

const ipArb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const hostArb = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const msgArb: fc.Arbitrary<BeaconMessage> = fc.record({
  clusterName: fc.constant('edge'),
  hostId: hostArb.filter((h) => h !== 'self'),
  underlayIp: ipArb,
  overlayIp: ipArb,
  seq: fc.integer({ min: 1, max: 2 ** 50 }),
  ts: fc.integer({ min: NOW - 20_000, max: NOW + 20_000 }),
  nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex')),
});
const verifier = () => new BeaconVerifier({ clusterName: 'edge', selfHostId: 'self', key });

describe('beacon codec', () => {
  it('round-trips every valid message', () => {
    fc.assert(
      fc.property(msgArb, (msg) => {
        expect(decodeBeacon(encodeBeacon(msg, key), key)).toEqual({ ok: true, msg });
      }),
    );
  });

  it('rejects any single flipped bit', () => {
    fc.assert(
      fc.property(msgArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (msg, at, bit) => {
        const packet = Buffer.from(encodeBeacon(msg, key));
        const i = at % packet.length;
        packet[i] = packet[i]! ^ (1 << bit);
        expect(verifier().verify(packet, NOW).accepted).toBe(false);
      }),
    );
  });

  it('rejects truncated or extended packets and random junk', () => {
    fc.assert(
      fc.property(msgArb, fc.uint8Array({ maxLength: 600 }), (msg, junk) => {
        const packet = encodeBeacon(msg, key);
        const v = verifier();
        expect(v.verify(packet.subarray(0, packet.length - 1), NOW).accepted).toBe(false);
        expect(v.verify(Buffer.concat([packet, Buffer.from(' ')]), NOW).accepted).toBe(false);
        expect(v.verify(Buffer.from(junk), NOW).accepted).toBe(false);
      }),
    );
  });

  it('rejects messages signed with another cluster key, and another cluster name', () => {
    fc.assert(
      fc.property(msgArb, (msg) => {
        expect(verifier().verify(encodeBeacon(msg, otherKey), NOW)).toEqual({
          accepted: false,
          reason: 'bad-mac',
        });
        const foreign = encodeBeacon({ ...msg, clusterName: 'other' }, key);
        expect(verifier().verify(foreign, NOW)).toEqual({ accepted: false, reason: 'foreign-cluster' });
      }),
    );
  });

  it('a validly signed payload with bad fields is refused', () => {
    const v = verifier();
    const bad = encodeBeacon({ ...fixed(), hostId: 'ok' }, key);
    // Re-sign a hostile payload by hand: the MAC is right but the host id is not a DNS label.
    const payload = Buffer.from(JSON.stringify({ ...fixed(), hostId: '../../etc; rm -rf /' }));
    const mac = createHmac('sha256', key).update('EOB1').update(payload).digest();
    const hostile = Buffer.concat([Buffer.from('EOB1'), mac, payload]);
    expect(v.verify(bad, NOW).accepted).toBe(true);
    expect(v.verify(hostile, NOW)).toEqual({ accepted: false, reason: 'invalid-fields' });
  });
});

function fixed(over: Partial<BeaconMessage> = {}): BeaconMessage {
  return {
    clusterName: 'edge',
    hostId: 'h1',
    underlayIp: '10.213.0.101',
    overlayIp: '100.64.192.2',
    seq: 1000,
    ts: NOW,
    nonce: '00'.repeat(16),
    ...over,
  };
}

describe('beacon verifier', () => {
  it('accepts a message once; the same packet again is a replay', () => {
    fc.assert(
      fc.property(msgArb, (msg) => {
        const v = verifier();
        const packet = encodeBeacon(msg, key);
        expect(v.verify(packet, NOW)).toMatchObject({ accepted: true, changed: true });
        expect(v.verify(packet, NOW)).toEqual({ accepted: false, reason: 'replay' });
      }),
    );
  });

  it('any older or equal seq from the same sender is a replay, whatever the nonce', () => {
    fc.assert(
      fc.property(msgArb, fc.nat(1000), (msg, back) => {
        const v = verifier();
        expect(v.verify(encodeBeacon(msg, key), NOW).accepted).toBe(true);
        const older = {
          ...msg,
          seq: Math.max(0, msg.seq - back),
          nonce: 'ab'.repeat(16),
          underlayIp: '10.9.9.9',
        };
        expect(v.verify(encodeBeacon(older, key), NOW)).toEqual({ accepted: false, reason: 'replay' });
        expect(v.known().get(msg.hostId)).toBe(msg.underlayIp);
      }),
    );
  });

  it('rejects stale and far-future timestamps, and its own messages', () => {
    const v = verifier();
    expect(v.verify(encodeBeacon(fixed({ ts: NOW - 30_001 }), key), NOW).accepted).toBe(false);
    expect(v.verify(encodeBeacon(fixed({ ts: NOW + 30_001 }), key), NOW)).toEqual({
      accepted: false,
      reason: 'from-future',
    });
    expect(v.verify(encodeBeacon(fixed({ hostId: 'self' }), key), NOW)).toEqual({
      accepted: false,
      reason: 'own-message',
    });
  });

  it('rejects a beacon whose UDP source is not the claimed underlay address', () => {
    const v = verifier();
    expect(v.verify(encodeBeacon(fixed(), key), NOW, '10.213.0.66')).toEqual({
      accepted: false,
      reason: 'source-mismatch',
    });
    expect(v.verify(encodeBeacon(fixed(), key), NOW, '10.213.0.101').accepted).toBe(true);
  });

  it('reports a change only when the underlay address moves', () => {
    const v = verifier();
    expect(v.verify(encodeBeacon(fixed({ seq: 1 }), key), NOW)).toMatchObject({ changed: true });
    expect(v.verify(encodeBeacon(fixed({ seq: 2 }), key), NOW)).toMatchObject({ changed: false });
    const moved = fixed({ seq: 3, underlayIp: '10.213.0.201' });
    expect(v.verify(encodeBeacon(moved, key), NOW)).toMatchObject({ changed: true });
  });

  it('seq keeps increasing across a restart (seeded from the clock)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.nat(10_000), (t, later) => {
        const before = nextSeq(nextSeq(0, t), t);
        expect(nextSeq(0, t + 1 + later)).toBeGreaterThan(before);
      }),
    );
  });

  it('rejects keys that are too short', () => {
    expect(() => parseBeaconKey('c2hvcnQ')).toThrow(/at least 32 bytes/);
  });
});

describe('beacon peer helpers', () => {
  const peers = [
    { hostId: 'h2', underlayIp: '10.213.0.102', overlayIp: '100.64.192.3' },
    { hostId: 'h3', underlayIp: '10.213.0.103', overlayIp: '100.64.192.4' },
  ];

  it('moves only a known peer with the same overlay IP', () => {
    expect(
      movePeerUnderlay(peers, { hostId: 'h2', underlayIp: '10.213.0.202', overlayIp: '100.64.192.3' }),
    ).toEqual([{ ...peers[0], underlayIp: '10.213.0.202' }, peers[1]]);
    expect(
      movePeerUnderlay(peers, { hostId: 'h9', underlayIp: '10.213.0.9', overlayIp: '100.64.192.9' }),
    ).toBeNull();
    expect(
      movePeerUnderlay(peers, { hostId: 'h2', underlayIp: '10.213.0.202', overlayIp: '100.64.192.9' }),
    ).toBeNull();
    expect(
      movePeerUnderlay(peers, { hostId: 'h2', underlayIp: '10.213.0.102', overlayIp: '100.64.192.3' }),
    ).toBeNull();
  });

  it('computes the directed broadcast of the subnet', () => {
    expect(directedBroadcast('10.213.0.101', 24)).toBe('10.213.0.255');
    expect(directedBroadcast('10.213.7.9', 16)).toBe('10.213.255.255');
    expect(directedBroadcast('192.168.1.130', 25)).toBe('192.168.1.255');
    expect(directedBroadcast('192.168.1.10', 25)).toBe('192.168.1.127');
    expect(directedBroadcast('10.0.0.1', 32)).toBe('255.255.255.255');
  });
});
