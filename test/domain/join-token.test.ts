import { describe, expect, it } from 'vitest';
import {
  digestsEqual,
  emptyIdentity,
  type HostIdentityState,
  hostIdentityStateSchema,
  identityIsEmpty,
  issueJoinToken,
  MAX_OUTSTANDING_TOKENS,
  MAX_REMEMBERED_USED,
  redeemJoinToken,
  redeemRefusal,
} from '../../src/domain/join-token.js';

/** A syntactically valid digest (43 base64url characters) that differs by its first letters. */
const h = (tag: string) => `${tag}${'A'.repeat(43 - tag.length)}`;
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const identity = { certificateSerial: 'ab12', publicKey: 'MCowBQYDK2VwAyEA' };

function withToken(hash: string, ttl = 60, now = T0): HostIdentityState {
  return issueJoinToken(emptyIdentity(), hash, ttl, now).state;
}

describe('digestsEqual', () => {
  it.each([
    { a: h('x'), b: h('x'), equal: true },
    { a: h('x'), b: h('y'), equal: false },
    { a: h('x'), b: `${h('x')}A`, equal: false },
    { a: '', b: '', equal: true },
    { a: 'abc', b: 'abd', equal: false },
  ])('$a vs $b → $equal', ({ a, b, equal }) => {
    expect(digestsEqual(a, b)).toBe(equal);
  });
});

describe('issueJoinToken', () => {
  it('expires ttlSeconds after now, by the clock it is given', () => {
    const { expiresAt, state } = issueJoinToken(emptyIdentity(), h('a'), 3600, T0);
    expect(expiresAt).toBe('2030-01-01T01:00:00.000Z');
    expect(state.tokens).toEqual([{ hash: h('a'), expiresAt }]);
  });

  it('drops expired tokens and re-issuing the same digest replaces it', () => {
    let s = withToken(h('old'), 10);
    s = issueJoinToken(s, h('new'), 60, T0 + 10_000).state;
    expect(s.tokens.map((t) => t.hash)).toEqual([h('new')]);
    s = issueJoinToken(s, h('new'), 120, T0 + 20_000).state;
    expect(s.tokens).toHaveLength(1);
    expect(s.tokens[0]?.expiresAt).toBe(new Date(T0 + 140_000).toISOString());
  });

  it(`keeps at most ${MAX_OUTSTANDING_TOKENS} outstanding tokens, forgetting the oldest`, () => {
    let s = emptyIdentity();
    for (let i = 0; i <= MAX_OUTSTANDING_TOKENS; i++) s = issueJoinToken(s, h(`t${i}`), 60, T0).state;
    expect(s.tokens).toHaveLength(MAX_OUTSTANDING_TOKENS);
    expect(redeemRefusal(s, h('t0'), T0)).toBe('unknown');
    expect(redeemRefusal(s, h(`t${MAX_OUTSTANDING_TOKENS}`), T0)).toBeNull();
    expect(hostIdentityStateSchema.safeParse(s).success).toBe(true);
  });
});

describe('redeemRefusal', () => {
  const used = redeemJoinToken(withToken(h('u')), h('u'), identity).state;
  it.each([
    { name: 'an outstanding token', state: withToken(h('a')), hash: h('a'), now: T0, refusal: null },
    {
      name: 'one second before expiry',
      state: withToken(h('a')),
      hash: h('a'),
      now: T0 + 59_999,
      refusal: null,
    },
    { name: 'at expiry', state: withToken(h('a')), hash: h('a'), now: T0 + 60_000, refusal: 'expired' },
    { name: 'a digest never issued', state: withToken(h('a')), hash: h('b'), now: T0, refusal: 'unknown' },
    { name: 'no tokens at all', state: emptyIdentity(), hash: h('a'), now: T0, refusal: 'unknown' },
    { name: 'a token already redeemed', state: used, hash: h('u'), now: T0, refusal: 'used' },
  ])('$name → $refusal', ({ state, hash, now, refusal }) => {
    expect(redeemRefusal(state, hash, now)).toBe(refusal);
  });
});

describe('redeemJoinToken', () => {
  it('consumes the token once and records the certificate', () => {
    const start = issueJoinToken(withToken(h('a')), h('b'), 60, T0).state;
    const { state, previousCertificateSerial } = redeemJoinToken(start, h('a'), identity);
    expect(previousCertificateSerial).toBeNull();
    expect(state.tokens.map((t) => t.hash)).toEqual([h('b')]);
    expect(state).toMatchObject(identity);
    expect(redeemRefusal(state, h('a'), T0)).toBe('used');
    expect(redeemRefusal(state, h('b'), T0)).toBeNull();
  });

  it('hands back the serial a new enrollment replaces (not when it is the same)', () => {
    const first = redeemJoinToken(withToken(h('a')), h('a'), identity).state;
    const again = issueJoinToken(first, h('b'), 60, T0).state;
    const next = redeemJoinToken(again, h('b'), { ...identity, certificateSerial: 'cd34' });
    expect(next.previousCertificateSerial).toBe('ab12');
    expect(redeemJoinToken(again, h('b'), identity).previousCertificateSerial).toBeNull();
  });

  it(`remembers the last ${MAX_REMEMBERED_USED} used digests only`, () => {
    let s = emptyIdentity();
    for (let i = 0; i <= MAX_REMEMBERED_USED; i++) {
      s = issueJoinToken(s, h(`u${i}`), 60, T0).state;
      s = redeemJoinToken(s, h(`u${i}`), identity).state;
    }
    expect(s.usedHashes).toHaveLength(MAX_REMEMBERED_USED);
    expect(redeemRefusal(s, h('u0'), T0)).toBe('unknown');
    expect(redeemRefusal(s, h(`u${MAX_REMEMBERED_USED}`), T0)).toBe('used');
    expect(hostIdentityStateSchema.safeParse(s).success).toBe(true);
  });
});

describe('identityIsEmpty', () => {
  it.each([
    { name: 'fresh', state: emptyIdentity(), empty: true },
    { name: 'a token outstanding', state: withToken(h('a')), empty: false },
    { name: 'enrolled', state: { ...emptyIdentity(), ...identity }, empty: false },
  ])('$name → $empty', ({ state, empty }) => {
    expect(identityIsEmpty(state)).toBe(empty);
  });
});
