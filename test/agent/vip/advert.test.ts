// VIP advert wire format and acceptance: round trip with the sender's own Ed25519 or P-256 key only; any
// flipped bit, truncation, oversize packet or hostile field is refused; replays (same or older (epoch,
// counter)), foreign clusters, non-voters and floods are refused before or at the signature.
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { spkiBase64 } from '../../../src/agent/beacon/keys.js';
import {
  ADVERT_MAGIC,
  ADVERT_MAX_BYTES,
  encodeAdvert,
  parseAdvert,
  type VipAdvert,
  verifyAdvert,
} from '../../../src/agent/vip/advert.js';
import { AdvertVerifier } from '../../../src/agent/vip/advert-verifier.js';
import { MAX_VIP_VOTERS } from '../../../src/domain/site-vip.js';

const ed = generateKeyPairSync('ed25519');
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ed25519');

const idArb = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const posArb = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const advertArb: fc.Arbitrary<VipAdvert> = fc.record(
  {
    clusterName: fc.constant('site'),
    hostId: idArb,
    epoch: posArb,
    counter: posArb,
    policyVersion: posArb,
    priority: fc.integer({ min: 0, max: 65_535 }),
    gen: posArb,
    holding: fc.boolean(),
    quorum: fc.boolean(),
    sees: fc.array(idArb, { maxLength: MAX_VIP_VOTERS }),
    vote: fc.record({
      hostId: idArb,
      epoch: posArb,
      gen: posArb,
      counter: posArb,
      ageMs: fc.integer({ min: 0, max: 3_600_000 }),
    }),
  },
  {
    requiredKeys: [
      'clusterName',
      'hostId',
      'epoch',
      'counter',
      'policyVersion',
      'gen',
      'holding',
      'quorum',
      'sees',
    ],
  },
);

const verifies = (packet: Buffer, key = ed.publicKey): boolean => {
  const p = parseAdvert(packet);
  return p.ok && verifyAdvert(p.unverified, key);
};

const base = (over: Partial<VipAdvert> = {}): VipAdvert => ({
  clusterName: 'site',
  hostId: 'b',
  epoch: 5000,
  counter: 1,
  policyVersion: 1,
  gen: 1,
  holding: false,
  quorum: true,
  sees: ['a', 'c'],
  ...over,
});

describe('VIP advert codec', () => {
  for (const [name, pair] of [
    ['Ed25519', ed],
    ['P-256', p256],
  ] as const)
    it(`${name}: round-trips, starts with EOV1 and verifies only with the sender's key`, () => {
      fc.assert(
        fc.property(advertArb, (a) => {
          const packet = encodeAdvert(a, pair.privateKey);
          expect(packet.subarray(0, 4).equals(ADVERT_MAGIC)).toBe(true);
          expect(parseAdvert(packet)).toMatchObject({ ok: true, unverified: { msg: a } });
          expect(verifies(packet, pair.publicKey)).toBe(true);
          expect(verifies(packet, other.publicKey)).toBe(false);
        }),
        { numRuns: 40 },
      );
    });

  it('any single flipped bit fails the shape check or the signature', () => {
    fc.assert(
      fc.property(advertArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (a, at, bit) => {
        const packet = Buffer.from(encodeAdvert(a, ed.privateKey));
        const i = at % packet.length;
        packet[i] = packet[i]! ^ (1 << bit);
        expect(verifies(packet)).toBe(false);
      }),
    );
  });

  it('truncated, extended, oversize and random packets are refused', () => {
    const packet = encodeAdvert(base(), ed.privateKey);
    expect(verifies(packet.subarray(0, packet.length - 1))).toBe(false);
    expect(verifies(Buffer.concat([packet, Buffer.from(' ')]))).toBe(false);
    expect(parseAdvert(Buffer.concat([packet, Buffer.alloc(ADVERT_MAX_BYTES)]))).toEqual({
      ok: false,
      reason: 'malformed',
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1400 }), (junk) => {
        expect(verifies(Buffer.from(junk))).toBe(false);
      }),
    );
  });

  it('the largest legal advert fits; extra or hostile fields are refused', () => {
    const id = (i: number) => `${String(i).padStart(2, '0')}${'x'.repeat(61)}`;
    const big = base({
      hostId: id(0),
      clusterName: 'c'.repeat(63),
      epoch: Number.MAX_SAFE_INTEGER,
      counter: Number.MAX_SAFE_INTEGER,
      policyVersion: Number.MAX_SAFE_INTEGER,
      gen: Number.MAX_SAFE_INTEGER,
      priority: 65_535,
      sees: Array.from({ length: MAX_VIP_VOTERS }, (_, i) => id(i + 1)),
      vote: {
        hostId: id(1),
        epoch: Number.MAX_SAFE_INTEGER,
        gen: Number.MAX_SAFE_INTEGER,
        counter: Number.MAX_SAFE_INTEGER,
        ageMs: 3_600_000,
      },
    });
    expect(encodeAdvert(big, ed.privateKey).length).toBeLessThanOrEqual(ADVERT_MAX_BYTES);
    expect(() => encodeAdvert(base({ sees: Array(MAX_VIP_VOTERS + 1).fill('a') }), ed.privateKey)).toThrow();
    const forge = (payload: object) => {
      const body = Buffer.from(JSON.stringify(payload));
      return Buffer.concat([ADVERT_MAGIC, Buffer.alloc(64), body]);
    };
    for (const bad of [
      { ...base(), extra: 1 },
      { ...base(), hostId: 'A/#' },
      { ...base(), counter: 0 },
      { ...base(), holding: 'yes' },
      { ...base(), vote: { hostId: 'a', epoch: 1, gen: 1, counter: 1, ageMs: -5 } },
    ])
      expect(parseAdvert(forge(bad))).toEqual({ ok: false, reason: 'invalid-fields' });
  });
});

describe('VIP advert verifier', () => {
  const keys = (): [string, string][] => [
    ['b', spkiBase64(ed.privateKey)],
    ['c', spkiBase64(p256.privateKey)],
  ];
  const verifier = () => new AdvertVerifier({ clusterName: 'site', selfHostId: 'a', peerKeys: keys() });
  const signed = (over: Partial<VipAdvert> = {}, key = ed.privateKey) => encodeAdvert(base(over), key);
  let clock = 0;
  const now = () => (clock += 1);

  it('accepts a voter signing for itself; refuses another key, foreign cluster, own and unknown hosts', () => {
    const v = verifier();
    expect(v.verify(signed(), now(), '10.0.0.2')).toMatchObject({ accepted: true, advert: { hostId: 'b' } });
    expect(v.verify(signed({ hostId: 'c' }, p256.privateKey), now(), '10.0.0.3')).toMatchObject({
      accepted: true,
    });
    expect(v.verify(signed({ counter: 2 }, other.privateKey), now(), '10.0.0.2')).toEqual({
      accepted: false,
      reason: 'bad-signature',
    });
    expect(v.verify(signed({ hostId: 'c', counter: 9 }), now(), '10.0.0.3')).toMatchObject({
      reason: 'bad-signature',
    });
    expect(v.verify(signed({ clusterName: 'other', counter: 3 }), now(), '10.0.0.2')).toMatchObject({
      reason: 'foreign-cluster',
    });
    expect(v.verify(signed({ hostId: 'a' }), now(), '10.0.0.1')).toMatchObject({ reason: 'own-message' });
    expect(v.verify(signed({ hostId: 'x' }), now(), '10.0.0.9')).toMatchObject({ reason: 'unknown-host' });
  });

  it('replays: the same or an older (epoch, counter) is refused; a higher epoch (restart) is accepted', () => {
    const v = verifier();
    const first = signed({ counter: 5 });
    expect(v.verify(first, now(), 'ip')).toMatchObject({ accepted: true });
    expect(v.verify(first, now(), 'ip')).toMatchObject({ reason: 'replay' });
    expect(v.verify(signed({ counter: 4 }), now(), 'ip')).toMatchObject({ reason: 'replay' });
    expect(v.verify(signed({ counter: 6 }), now(), 'ip')).toMatchObject({ accepted: true });
    expect(v.verify(signed({ epoch: 6000, counter: 1 }), now(), 'ip')).toMatchObject({ accepted: true });
    expect(v.verify(signed({ epoch: 5000, counter: 99 }), now(), 'ip')).toMatchObject({ reason: 'replay' });
    // A forged packet does not move the position: the real next advert still passes.
    const v2 = verifier();
    expect(v2.verify(signed({ counter: 1000 }, other.privateKey), now(), 'ip')).toMatchObject({
      reason: 'bad-signature',
    });
    expect(v2.verify(signed({ counter: 2 }), now(), 'ip')).toMatchObject({ accepted: true });
  });

  it('a flood from one source is cut by the verification budget before any signature check', () => {
    const v = verifier();
    let accepted = 0;
    for (let c = 1; c <= 200; c++) if (v.verify(signed({ counter: c }), 1000, 'ip').accepted) accepted++;
    expect(accepted).toBe(30); // 3 per A (100 ms) per second of burst
    expect(v.verifications).toBe(30);
  });
});
