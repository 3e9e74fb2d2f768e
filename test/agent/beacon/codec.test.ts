// Beacon wire format and keys: every valid message round-trips and verifies with the sender's public key
// only (Ed25519 and P-256); any changed bit, truncation, junk or hostile field is refused.
import fc from 'fast-check';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type BeaconMessage,
  encodeBeacon,
  parseBeacon,
  publicKeyFromSpki,
  signingKey,
  spkiBase64,
  verifySigned,
} from '../../../src/agent/beacon/index.js';
import { signBytes } from '../../../src/agent/beacon/keys.js';

const ed = generateKeyPairSync('ed25519');
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ed25519');

const ipArb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const posArb = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const msgArb: fc.Arbitrary<BeaconMessage> = fc.record(
  {
    clusterName: fc.constant('edge'),
    hostId: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/),
    underlayIp: ipArb,
    overlayIp: ipArb,
    epoch: posArb,
    counter: posArb,
    seq: posArb,
  },
  { requiredKeys: ['clusterName', 'hostId', 'underlayIp', 'overlayIp', 'epoch', 'counter'] },
);

const verifies = (packet: Buffer, key: KeyObject): boolean => {
  const parsed = parseBeacon(packet);
  return parsed.ok && verifySigned(parsed.beacon, key);
};

describe('beacon codec', () => {
  for (const [name, pair] of [
    ['Ed25519', ed],
    ['P-256', p256],
  ] as const) {
    it(`${name}: round-trips and verifies only with the sender's public key`, () => {
      fc.assert(
        fc.property(msgArb, (msg) => {
          const packet = encodeBeacon(msg, pair.privateKey);
          const parsed = parseBeacon(packet);
          expect(parsed).toMatchObject({ ok: true, beacon: { msg } });
          expect(verifies(packet, pair.publicKey)).toBe(true);
          expect(verifies(packet, other.publicKey)).toBe(false);
        }),
        { numRuns: 50 },
      );
    });
  }

  it('any single flipped bit fails the shape check or the signature', () => {
    fc.assert(
      fc.property(msgArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (msg, at, bit) => {
        const packet = Buffer.from(encodeBeacon(msg, ed.privateKey));
        const i = at % packet.length;
        packet[i] = packet[i]! ^ (1 << bit);
        expect(verifies(packet, ed.publicKey)).toBe(false);
      }),
    );
  });

  it('truncated, extended and random packets are refused', () => {
    fc.assert(
      fc.property(msgArb, fc.uint8Array({ maxLength: 600 }), (msg, junk) => {
        const packet = encodeBeacon(msg, ed.privateKey);
        expect(verifies(packet.subarray(0, packet.length - 1), ed.publicKey)).toBe(false);
        expect(verifies(Buffer.concat([packet, Buffer.from(' ')]), ed.publicKey)).toBe(false);
        expect(verifies(Buffer.from(junk), ed.publicKey)).toBe(false);
      }),
    );
  });

  it('a v1 (HMAC, "EOB1") packet is malformed', () => {
    const v2 = encodeBeacon({ ...fixed() }, ed.privateKey);
    const v1 = Buffer.concat([Buffer.from('EOB1'), v2.subarray(4)]);
    expect(parseBeacon(v1)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('a correctly signed payload with hostile or extra fields is refused before use', () => {
    for (const payload of [
      { ...fixed(), hostId: '../../etc; rm -rf /' },
      { ...fixed(), counter: 0 },
      { ...fixed(), epoch: -1 },
      { ...fixed(), seq: 1.5 },
      { ...fixed(), extra: true },
    ]) {
      const body = Buffer.from(JSON.stringify(payload));
      const sig = signBytes(Buffer.concat([Buffer.from('EOB2'), body]), ed.privateKey);
      expect(parseBeacon(Buffer.concat([Buffer.from('EOB2'), sig, body]))).toEqual({
        ok: false,
        reason: 'invalid-fields',
      });
    }
  });
});

describe('beacon keys', () => {
  it('accepts Ed25519 and P-256 as KeyObject or PEM, and nothing else', () => {
    const pem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(signingKey(pem).asymmetricKeyType).toBe('ed25519');
    expect(signingKey(p256.privateKey).asymmetricKeyType).toBe('ec');
    expect(() => signingKey(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey)).toThrow(
      /Ed25519/,
    );
    expect(() => signingKey(ed.publicKey)).toThrow(/private key/);
    expect(() => signingKey('not a key')).toThrow(/not a PEM private key/);
  });

  it('the SPKI of a private key gives back a verification key; junk gives none', () => {
    const spki = spkiBase64(ed.privateKey);
    expect(spki).toHaveLength(60);
    expect(spkiBase64(p256.privateKey)).toHaveLength(124);
    expect(publicKeyFromSpki(spki)?.equals(ed.publicKey)).toBe(true);
    expect(publicKeyFromSpki('AAAA')).toBeNull();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(publicKeyFromSpki(rsa.export({ type: 'spki', format: 'der' }).toString('base64'))).toBeNull();
  });
});

function fixed(over: Partial<BeaconMessage> = {}): BeaconMessage {
  return {
    clusterName: 'edge',
    hostId: 'h1',
    underlayIp: '10.213.0.101',
    overlayIp: '100.64.192.2',
    epoch: 1000,
    counter: 1,
    ...over,
  };
}
