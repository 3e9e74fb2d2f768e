// The hand-written advert check (advert-check.ts) gives the schema's verdict (advertSchema, the wire
// contract) on generated adverts: valid ones, and valid ones with one field broken (wrong type, out of
// bounds, not a DNS label, an extra or a missing key, in the advert or in its vote). When both accept,
// the value is the schema's output. And it is what the codec uses: a broken advert never leaves encode.
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  advertSchema,
  encodeAdvert,
  parseAdvert,
  type VipAdvert,
  voteSchema,
} from '../../../src/agent/vip/advert.js';
import { isAdvert } from '../../../src/agent/vip/advert-check.js';
import { MAX_PRIORITY, MAX_VIP_VOTERS } from '../../../src/domain/site-vip.js';

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const pos = fc.oneof(
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(1, Number.MAX_SAFE_INTEGER),
);
const voteArb = fc.record({
  hostId: label,
  epoch: pos,
  gen: pos,
  counter: pos,
  ageMs: fc.oneof(fc.integer({ min: 0, max: 3_600_000 }), fc.constantFrom(0, 3_600_000)),
});
// The keys, and which are required, from the schema itself: the check must follow the contract.
const keys = Object.keys(advertSchema.shape) as (keyof VipAdvert)[];
const voteKeys = Object.keys(voteSchema.shape);
const requiredKeys = keys.filter((k) => !advertSchema.shape[k].safeParse(undefined).success);
const advertArb: fc.Arbitrary<VipAdvert> = fc.record(
  {
    clusterName: label,
    hostId: label,
    epoch: pos,
    counter: pos,
    policyVersion: pos,
    priority: fc.oneof(fc.integer({ min: 0, max: MAX_PRIORITY }), fc.constantFrom(0, MAX_PRIORITY)),
    gen: pos,
    holding: fc.boolean(),
    quorum: fc.boolean(),
    sees: fc.array(label, { maxLength: MAX_VIP_VOTERS }),
    vote: voteArb,
  },
  { requiredKeys },
);

/** Values that break some field: near the bounds, of another type, not a label. */
const hostile = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    1.5,
    Number.MAX_SAFE_INTEGER + 1,
    MAX_PRIORITY + 1,
    3_600_001,
    1e300,
    '',
    'A',
    '-a',
    'a-',
    'a_b',
    'a'.repeat(64),
    'a'.repeat(63),
    '1',
    true,
    null,
    [],
    {},
    ['a'],
    Array(MAX_VIP_VOTERS + 1).fill('a'),
    ['a', 'B'],
  ),
  fc.jsonValue(),
);

/** One advert with one thing changed: a field set to a hostile value, deleted, or an extra key added. */
const brokenArb = fc
  .tuple(advertArb, voteArb, fc.nat(), fc.nat(), hostile, fc.constantFrom('set', 'delete', 'extra', 'vote'))
  .map(([a, vote, i, j, value, how]) => {
    const o: Record<string, unknown> = JSON.parse(JSON.stringify(a));
    const k = keys[i % keys.length]!;
    if (how === 'set') o[k] = value;
    else if (how === 'delete') delete o[k];
    else if (how === 'extra') o[`x${k}`] = value;
    else {
      const v: Record<string, unknown> = { ...vote };
      const vk = voteKeys[j % voteKeys.length]!;
      if (j % 3 === 0) delete v[vk];
      else if (j % 3 === 1) v[vk] = value;
      else v.extra = value;
      o.vote = v;
    }
    return JSON.parse(JSON.stringify(o)) as unknown;
  });

const sameVerdict = (v: unknown) => {
  const zod = advertSchema.safeParse(v);
  expect(isAdvert(v)).toBe(zod.success);
  if (zod.success) expect(v).toEqual(zod.data);
};

describe('advert check (the schema written out by hand)', () => {
  it('accepts every valid advert, as the schema does, and returns it unchanged', () => {
    fc.assert(fc.property(advertArb, sameVerdict), { numRuns: 2000, seed: 1301 });
  });

  it('gives the schema verdict on adverts with one field broken', () => {
    let rejected = 0;
    fc.assert(
      fc.property(brokenArb, (v) => {
        sameVerdict(v);
        if (!advertSchema.safeParse(v).success) rejected++;
      }),
      { numRuns: 5000, seed: 1302 },
    );
    // the generator mostly breaks adverts (a check that accepted everything would fail above)
    expect(rejected).toBeGreaterThan(2500);
  });

  it('rejects non-objects and the prototype trick', () => {
    for (const v of [null, 1, 'x', [], true, JSON.parse('{"__proto__": {"holding": true}}')]) sameVerdict(v);
    const withProto = JSON.parse(
      '{"clusterName":"s","hostId":"h","epoch":1,"counter":1,"policyVersion":1,"gen":1,"holding":false,"quorum":false,"sees":[],"__proto__":{}}',
    );
    expect(isAdvert(withProto)).toBe(false);
    sameVerdict(withProto);
  });

  it('is what the codec uses: a broken advert is not encoded, a broken payload not parsed', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const a: VipAdvert = {
      clusterName: 'site',
      hostId: 'h1',
      epoch: 1,
      counter: 1,
      policyVersion: 1,
      gen: 1,
      holding: false,
      quorum: true,
      sees: ['h2'],
    };
    const packet = encodeAdvert(a, privateKey);
    expect(parseAdvert(packet)).toMatchObject({ ok: true, unverified: { msg: a } });
    expect(() => encodeAdvert({ ...a, epoch: 0 }, privateKey)).toThrow();
    expect(() => encodeAdvert({ ...a, extra: 1 } as VipAdvert, privateKey)).toThrow();
    const forged = Buffer.concat([
      packet.subarray(0, 68),
      Buffer.from(JSON.stringify({ ...a, counter: -1 })),
    ]);
    expect(parseAdvert(forged)).toEqual({ ok: false, reason: 'invalid-fields' });
  });
});
