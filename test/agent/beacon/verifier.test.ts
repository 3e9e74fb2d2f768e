// Acceptance rules of received beacons: per-host keys from the peer table, the (epoch, counter) replay
// rule (old beacon, old epoch after a new one, duplicates, reordering), unchanged repeats that are not
// re-verified, and the verification budget under a flood.
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type BeaconMessage,
  BeaconVerifier,
  encodeBeacon,
  isAfter,
  spkiBase64,
} from '../../../src/agent/beacon/index.js';

const keyA = generateKeyPairSync('ed25519');
const keyB = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyX = generateKeyPairSync('ed25519'); // nobody's key in the table
const A = '10.213.0.101';
const B = '10.213.0.102';

const table = (): [string, string][] => [
  ['a', spkiBase64(keyA.privateKey)],
  ['b', spkiBase64(keyB.privateKey)],
];
const verifier = (limits?: ConstructorParameters<typeof BeaconVerifier>[0]['limits']) =>
  new BeaconVerifier({
    clusterName: 'edge',
    selfHostId: 'self',
    peerKeys: table(),
    ...(limits ? { limits } : {}),
  });

const fromA = (over: Partial<BeaconMessage> = {}): BeaconMessage => ({
  clusterName: 'edge',
  hostId: 'a',
  underlayIp: A,
  overlayIp: '100.64.192.2',
  epoch: 5000,
  counter: 1,
  seq: 7,
  ...over,
});
const signedA = (over: Partial<BeaconMessage> = {}) => encodeBeacon(fromA(over), keyA.privateKey);
let clock = 0;
const now = () => (clock += 1);

describe('beacon verifier: who may speak for whom', () => {
  it('accepts a host signing for itself, with Ed25519 or P-256', () => {
    const v = verifier();
    expect(v.verify(signedA(), now(), A)).toMatchObject({ accepted: true, changed: true, repeat: false });
    const b = encodeBeacon({ ...fromA(), hostId: 'b', underlayIp: B }, keyB.privateKey);
    expect(v.verify(b, now(), B)).toMatchObject({ accepted: true, msg: { hostId: 'b' } });
    expect(v.known()).toEqual(
      new Map([
        ['a', A],
        ['b', B],
      ]),
    );
  });

  it('refuses host b signing a beacon that claims an address for host a', () => {
    const v = verifier();
    const forged = encodeBeacon(fromA({ underlayIp: B }), keyB.privateKey);
    expect(v.verify(forged, now(), B)).toEqual({ accepted: false, reason: 'bad-signature' });
    const unknownKey = encodeBeacon(fromA(), keyX.privateKey);
    expect(v.verify(unknownKey, now(), A)).toEqual({ accepted: false, reason: 'bad-signature' });
    expect(v.known().size).toBe(0);
  });

  it('refuses hosts the table does not list (or lists without a usable key), its own, other clusters', () => {
    const v = verifier();
    const c = encodeBeacon(fromA({ hostId: 'c' }), keyX.privateKey);
    expect(v.verify(c, now(), A)).toEqual({ accepted: false, reason: 'unknown-host' });
    expect(v.setPeerKeys([...table(), ['c', 'AAAA']])).toEqual({ usable: 2, unusable: ['c'] });
    expect(v.verify(c, now(), A)).toEqual({ accepted: false, reason: 'unknown-host' });
    expect(v.verify(encodeBeacon(fromA({ hostId: 'self' }), keyA.privateKey), now(), A)).toEqual({
      accepted: false,
      reason: 'own-message',
    });
    expect(v.verify(signedA({ clusterName: 'other' }), now(), A)).toEqual({
      accepted: false,
      reason: 'foreign-cluster',
    });
    expect(v.verifications).toBe(0);
  });

  it('refuses a beacon whose UDP source is not the claimed underlay address', () => {
    const v = verifier();
    expect(v.verify(signedA(), now(), '10.213.0.66')).toEqual({ accepted: false, reason: 'source-mismatch' });
    expect(v.verify(signedA(), now(), A).accepted).toBe(true);
  });

  it('a host dropped from the table is refused; a new key for a host starts its replay state afresh', () => {
    const v = verifier();
    expect(v.verify(signedA({ epoch: 9000 }), now(), A).accepted).toBe(true);
    v.setPeerKeys(table().filter(([h]) => h !== 'a'));
    expect(v.verify(signedA({ epoch: 9000, counter: 2 }), now(), A)).toMatchObject({
      reason: 'unknown-host',
    });
    // a re-enrolled host: new key, epoch file lost and clock behind → a smaller epoch is accepted
    const rekeyed = generateKeyPairSync('ed25519');
    v.setPeerKeys([['a', spkiBase64(rekeyed.privateKey)]]);
    expect(v.verify(encodeBeacon(fromA({ epoch: 10 }), rekeyed.privateKey), now(), A).accepted).toBe(true);
    expect(v.verify(signedA({ epoch: 9999 }), now(), A)).toMatchObject({ reason: 'bad-signature' });
  });
});

describe('beacon verifier: replay rule (epoch, counter)', () => {
  const roomy = {
    perSource: { burst: 100, perSecond: 100 },
    global: { burst: 100, perSecond: 100 },
    maxSources: 8,
  };

  it('isAfter is the strict lexicographic order', () => {
    fc.assert(
      fc.property(fc.nat(5), fc.nat(5), fc.nat(5), fc.nat(5), (e1, c1, e2, c2) => {
        const a = { epoch: e1, counter: c1 };
        const b = { epoch: e2, counter: c2 };
        expect(isAfter(b, a)).toBe(e2 > e1 || (e2 === e1 && c2 > c1));
        expect(isAfter(a, undefined)).toBe(true);
      }),
    );
  });

  it('a duplicate, and an older beacon of the same epoch (a replay or a reordered packet), are refused', () => {
    const v = verifier();
    const first = signedA({ counter: 10 });
    expect(v.verify(first, now(), A).accepted).toBe(true);
    expect(v.verify(first, now(), A)).toEqual({ accepted: false, reason: 'replay' });
    // overtaken on the way: counter 9 (another address) arrives after 10
    expect(v.verify(signedA({ counter: 9, underlayIp: '10.213.0.9' }), now(), '10.213.0.9')).toEqual({
      accepted: false,
      reason: 'replay',
    });
    expect(v.verify(signedA({ counter: 11, seq: 8 }), now(), A).accepted).toBe(true);
    expect(v.known().get('a')).toBe(A);
  });

  it('a new epoch (restart) is accepted with its counter back at 1; the old epoch never again', () => {
    const v = verifier();
    const old = signedA({ epoch: 5000, counter: 40, underlayIp: '10.213.0.50' });
    expect(v.verify(old, now(), '10.213.0.50').accepted).toBe(true);
    expect(v.verify(signedA({ epoch: 6000, counter: 1 }), now(), A)).toMatchObject({
      accepted: true,
      changed: true,
    });
    // a recording of the earlier run, even a higher counter never seen before, cannot roll state back
    const later = signedA({ epoch: 5000, counter: 41, underlayIp: '10.213.0.50' });
    expect(v.verify(later, now(), '10.213.0.50')).toEqual({ accepted: false, reason: 'replay' });
    expect(v.verify(old, now(), '10.213.0.50')).toEqual({ accepted: false, reason: 'replay' });
    expect(v.known().get('a')).toBe(A);
  });

  it('over any arrival order, the accepted positions strictly increase and end at the newest', () => {
    const sent = [1, 2, 3].flatMap((epoch) => [1, 2, 3].map((counter) => ({ epoch: epoch * 1000, counter })));
    fc.assert(
      fc.property(fc.shuffledSubarray(sent, { minLength: 1 }), (arrival) => {
        const v = verifier(roomy);
        const accepted: { epoch: number; counter: number }[] = [];
        for (const p of arrival) {
          const r = v.verify(signedA({ ...p, seq: p.epoch + p.counter }), now(), A);
          if (r.accepted) accepted.push(p);
        }
        for (let i = 1; i < accepted.length; i++) expect(isAfter(accepted[i]!, accepted[i - 1])).toBe(true);
        const newest = arrival.reduce((m, p) => (isAfter(p, m) ? p : m));
        expect(accepted.at(-1)).toEqual(newest);
      }),
      { numRuns: 60 },
    );
  });

  it('an unchanged repeat is accepted without a signature check and never moves the position', () => {
    const v = verifier();
    expect(v.verify(signedA({ counter: 1 }), now(), A).accepted).toBe(true);
    expect(v.verifications).toBe(1);
    expect(v.verify(signedA({ counter: 2 }), now(), A)).toMatchObject({
      accepted: true,
      repeat: true,
      changed: false,
    });
    // a forged "repeat" with a huge counter: accepted as a repeat of the verified content, position unchanged
    const forged = Buffer.from(signedA({ counter: 2 ** 50 }));
    forged[10] = forged[10]! ^ 1; // breaks the signature, which a repeat does not check
    expect(v.verify(forged, now(), A)).toMatchObject({ accepted: true, repeat: true, msg: { counter: 1 } });
    expect(v.verify(signedA({ counter: 3, seq: 8 }), now(), A)).toMatchObject({
      accepted: true,
      repeat: false,
    });
    expect(v.verifications).toBe(2);
  });
});

describe('beacon verifier: verification budget', () => {
  const forgedFlood = (n: number, source: (i: number) => string) =>
    Array.from({ length: n }, (_, i) =>
      encodeBeacon(fromA({ counter: i + 1, underlayIp: source(i) }), keyX.privateKey),
    );

  it('a flood of N forged packets from one source costs at most its bucket of verifications', () => {
    const v = verifier({
      perSource: { burst: 4, perSecond: 1 },
      global: { burst: 64, perSecond: 32 },
      maxSources: 64,
    });
    const packets = forgedFlood(10_000, () => A);
    const t = 1_000_000;
    const results = packets.map((p, i) => v.verify(p, t + i / 10, A)); // 10,000 packets within 1 s
    expect(v.verifications).toBeLessThanOrEqual(4 + 1);
    expect(results.filter((r) => !r.accepted && r.reason === 'rate-limited').length).toBeGreaterThan(9_990);
    expect(results.some((r) => r.accepted)).toBe(false);
    // the real sender, from another address, still gets through (its own bucket, global tokens left)
    const b = encodeBeacon({ ...fromA(), hostId: 'b', underlayIp: B }, keyB.privateKey);
    expect(v.verify(b, t + 1000, B).accepted).toBe(true);
  });

  it('forged sources rotating through many addresses are bounded by the global cap', () => {
    const limits = {
      perSource: { burst: 4, perSecond: 1 },
      global: { burst: 64, perSecond: 32 },
      maxSources: 256,
    };
    const v = verifier(limits);
    const ip = (i: number) => `10.213.${(i >> 8) & 255}.${i & 255}`;
    const packets = forgedFlood(20_000, ip);
    const t = 2_000_000;
    for (const [i, p] of packets.entries()) v.verify(p, t + i / 10, ip(i)); // 2 s of flood
    // burst + 2 s of refill; the global floor grows with the table only (2 usable keys here)
    expect(v.verifications).toBeLessThanOrEqual(64 + 2 * 32 + 1);
    expect(v.verifications).toBeGreaterThanOrEqual(64);
  });

  it('the global cap grows with the peer table (a mass renumbering needs one check per peer)', () => {
    const v = new BeaconVerifier({ clusterName: 'edge', selfHostId: 'self' });
    const keys = Array.from(
      { length: 300 },
      (_, i) => [`h${i}`, spkiBase64(keyA.privateKey)] as [string, string],
    );
    v.setPeerKeys(keys);
    const ip = (i: number) => `10.213.${i >> 8}.${i & 255}`;
    for (let i = 0; i < 300; i++)
      expect(
        v.verify(encodeBeacon(fromA({ hostId: `h${i}`, underlayIp: ip(i) }), keyA.privateKey), 5, ip(i))
          .accepted,
      ).toBe(true);
    expect(v.verifications).toBe(300);
  });
});
