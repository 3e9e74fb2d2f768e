// POST /v1/hosts/join-tokens against the real dev server; and the identity routes of an API without a CA.
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { JOIN_TOKEN_PATTERN } from '../../src/api/join-token-secret.js';
import { MAX_JOIN_TOKEN_TTL_S } from '../../src/domain/join-token.js';
import { testClient } from '../helpers/temporal.js';
import { auth, problemOf, TEST_TOKEN } from './helper.js';
import {
  buildIdentityApi,
  enroll,
  hid,
  historyText,
  type IdentityApi,
  issueToken,
} from './identity-helper.js';

const hostile = fc.constantFrom(
  '; rm -rf /',
  '$(reboot)',
  '../../etc/passwd',
  'H1',
  '-h1',
  'a'.repeat(64),
  '',
  ' ',
  'ｈ1',
);
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
);
const anything = fc.oneof(hostile, wrongType, fc.string({ maxLength: 60 }));

describe('POST /v1/hosts/join-tokens', () => {
  let api: IdentityApi;
  beforeAll(async () => {
    api = await buildIdentityApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('is 201 with a fresh 32-byte token that expires in 1 h by default', async () => {
    const hostId = hid('tok');
    const before = Date.now();
    const res = await issueToken(api, hostId);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'hostId', 'token']);
    expect(body.hostId).toBe(hostId);
    expect(body.token).toMatch(JOIN_TOKEN_PATTERN);
    expect(Buffer.from(body.token, 'base64url')).toHaveLength(32);
    const expiresIn = Date.parse(body.expiresAt) - before;
    expect(expiresIn).toBeGreaterThan(3600_000 - 5_000);
    expect(expiresIn).toBeLessThan(3600_000 + 5_000);
    const again = await issueToken(api, hostId);
    expect(again.json().token).not.toBe(body.token);
  });

  it('honours ttlSeconds', async () => {
    const before = Date.now();
    const res = await issueToken(api, hid('ttl'), 90);
    expect(res.statusCode).toBe(201);
    const expiresIn = Date.parse(res.json().expiresAt) - before;
    expect(expiresIn).toBeGreaterThan(85_000);
    expect(expiresIn).toBeLessThan(95_000);
  });

  it('does not make an unregistered host appear in the inventory', async () => {
    const hostId = hid('pending');
    expect((await issueToken(api, hostId)).statusCode).toBe(201);
    expect((await api.admin({ method: 'GET', url: `/v1/hosts/${hostId}` })).statusCode).toBe(404);
    const listed = (await api.admin({ method: 'GET', url: '/v1/hosts' })).json() as Array<{ hostId: string }>;
    expect(listed.some((h) => h.hostId === hostId)).toBe(false);
  });

  it('stores only the digest: the token is nowhere in the host workflow history', async () => {
    const hostId = hid('hash');
    const { token } = (await issueToken(api, hostId)).json();
    const history = await historyText(api.client, hostId);
    expect(history).toContain('issueJoinToken');
    expect(history).not.toContain(token);
    expect(api.logs()).not.toContain(token);
  });

  it.each([
    ['an invalid host id', { hostId: 'Bad_Id' }, 'hostId'],
    ['ttlSeconds 0', { hostId: 'h1', ttlSeconds: 0 }, 'ttlSeconds'],
    ['ttlSeconds over a week', { hostId: 'h1', ttlSeconds: MAX_JOIN_TOKEN_TTL_S + 1 }, 'ttlSeconds'],
    ['a fractional ttlSeconds', { hostId: 'h1', ttlSeconds: 1.5 }, 'ttlSeconds'],
    ['an unknown field', { hostId: 'h1', token: 'mine' }, 'token'],
  ])('is 400 for %s', async (_what, payload, field) => {
    const res = await api.admin({ method: 'POST', url: '/v1/hosts/join-tokens', payload });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).errors?.map((e) => e.field)).toContain(field);
  });

  it('hostile bodies on join-tokens and enroll are 4xx problem+json, never 2xx or 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          { hostId: fc.oneof(hostile, wrongType), ttlSeconds: anything, extra: anything },
          { requiredKeys: [] },
        ),
        fc.record(
          { hostId: fc.oneof(anything, fc.constant('h1')), joinToken: anything, csr: anything },
          { requiredKeys: [] },
        ),
        async (tokenBody, enrollBody) => {
          for (const res of [
            await api.admin({ method: 'POST', url: '/v1/hosts/join-tokens', payload: tokenBody }),
            await enroll(api, enrollBody),
          ]) {
            expect([400, 401], res.body).toContain(res.statusCode);
            problemOf(res);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('needs the admin bearer token', async () => {
    const res = await api.anonymous({
      method: 'POST',
      url: '/v1/hosts/join-tokens',
      payload: { hostId: 'h1' },
    });
    expect(res.statusCode).toBe(401);
    expect(problemOf(res).type).toBe('urn:edge-overlay:problem:unauthorized');
  });

  it('is documented in the OpenAPI document; enroll needs no bearer token there', async () => {
    const doc = (await api.admin({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.paths['/v1/hosts/join-tokens'].post.responses['201']).toBeDefined();
    expect(doc.paths['/v1/hosts/enroll'].post.security).toEqual([]);
    expect(doc.paths['/v1/hosts/{hostId}'].delete.responses['202']).toBeDefined();
  });
});

describe('identity routes without a product CA', () => {
  it('answer 503 problem+json "enrollment not configured"', async () => {
    const tc = await testClient();
    const app = await buildApp({
      client: tc.client,
      log: pino({ level: 'silent' }),
      token: TEST_TOKEN,
      uiBaseUrl: null,
      namespace: 'default',
    });
    try {
      const csr = '-----BEGIN CERTIFICATE REQUEST-----';
      for (const req of [
        { method: 'POST' as const, url: '/v1/hosts/join-tokens', payload: { hostId: 'h1' }, headers: auth },
        { method: 'POST' as const, url: '/v1/hosts/enroll', payload: { hostId: 'h1', joinToken: 'x', csr } },
        { method: 'DELETE' as const, url: '/v1/hosts/h1', headers: auth },
      ]) {
        const res = await app.inject(req);
        expect(res.statusCode, req.url).toBe(503);
        const p = problemOf(res);
        expect(p.type).toBe('urn:edge-overlay:problem:enrollment-not-configured');
        expect(p.detail).toContain('enrollment not configured');
      }
    } finally {
      await app.close();
      await tc.close();
    }
  });
});
