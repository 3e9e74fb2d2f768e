import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { bearerToken } from '../../src/api/auth.js';
import { workflowUiUrl } from '../../src/api/context.js';
import { auth, buildTestApi, problemOf, TEST_TOKEN, type TestApi } from './helper.js';

describe('API plumbing: auth, problem+json, health, OpenAPI', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await buildTestApi();
  });
  afterAll(async () => api.close());

  it('GET /healthz answers 200 without a token when Temporal is reachable', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /healthz answers 503 problem+json when Temporal is not reachable', async () => {
    const connection = await Connection.lazy({ address: '127.0.0.1:1' });
    const app = await buildApp({
      client: new Client({ connection }),
      log: pino({ level: 'silent' }),
      token: TEST_TOKEN,
      uiBaseUrl: null,
      namespace: 'default',
      temporalTimeoutMs: 1000,
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(503);
      expect(problemOf(res).detail).toBe('Temporal is not reachable');
      // Routes that need Temporal say so with a 503 too, not a bare 500.
      const headers = { authorization: `Bearer ${TEST_TOKEN}` };
      const get = await app.inject({ method: 'GET', url: '/v1/clusters/alpha', headers });
      expect(get.statusCode).toBe(503);
      expect(problemOf(get).type).toBe('urn:edge-overlay:problem:temporal-unavailable');
    } finally {
      await app.close();
      await connection.close();
    }
  });

  it.each([
    ['no Authorization header', {}, 'missing bearer token'],
    ['a wrong token', { authorization: 'Bearer wrong-token-0123456789' }, 'invalid bearer token'],
    ['a token with one character more', { authorization: `Bearer ${TEST_TOKEN}x` }, 'invalid bearer token'],
    ['a prefix of the token', { authorization: `Bearer ${TEST_TOKEN.slice(0, -1)}` }, 'invalid bearer token'],
    [
      'Basic auth',
      { authorization: `Basic ${Buffer.from(`u:${TEST_TOKEN}`).toString('base64')}` },
      'missing',
    ],
    ['the bare token without scheme', { authorization: TEST_TOKEN }, 'missing bearer token'],
  ])('returns 401 problem+json with %s', async (_what, headers, detail) => {
    for (const [method, url] of [
      ['GET', '/v1/hosts'],
      ['POST', '/v1/clusters'],
      ['GET', '/v1/clusters/alpha'],
      ['DELETE', '/v1/clusters/alpha'],
      ['POST', '/v1/hosts/join-tokens'],
      ['DELETE', '/v1/hosts/h1'],
      ['GET', '/v1/does-not-exist'],
    ] as const) {
      const res = await api.app.inject({ method, url, headers, payload: method === 'POST' ? {} : undefined });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(problemOf(res).detail).toContain(detail);
    }
  });

  it('accepts the token with any case of the Bearer scheme', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/v1/clusters/nope',
      headers: { authorization: `bearer ${TEST_TOKEN}` },
    });
    expect(res.statusCode).toBe(404);
  });

  it('parses bearer headers strictly', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('Bearer  abc ')).toBe('abc');
    expect(bearerToken('Bearer abc def')).toBeNull();
    expect(bearerToken('Bearerabc')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('returns 404 problem+json for an unknown route', async () => {
    const res = await api.call({ method: 'GET', url: '/v2/clusters' });
    expect(res.statusCode).toBe(404);
    expect(problemOf(res).type).toBe('urn:edge-overlay:problem:not-found');
  });

  it('serves an OpenAPI 3 document generated from the zod schemas, without a token', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/healthz',
        '/v1/hosts/register',
        '/v1/hosts',
        '/v1/clusters',
        '/v1/clusters/{name}',
        '/v1/clusters/{name}/hosts',
        '/v1/clusters/{name}/hosts/{hostId}',
        '/v1/clusters/{name}/events',
      ]),
    );
    expect(Object.keys(doc.paths['/v1/clusters/{name}'])).toEqual(
      expect.arrayContaining(['get', 'patch', 'delete']),
    );
    const ref: string = doc.paths['/v1/clusters'].post.requestBody.content['application/json'].schema.$ref;
    const create = doc.components.schemas[ref.split('/').at(-1)!];
    expect(create.additionalProperties).toBe(false);
    expect(create.required).toEqual(expect.arrayContaining(['name', 'hosts']));
    expect(create.properties.mode.enum).toEqual(['unicast', 'multicast']);
    expect(doc.paths['/v1/clusters'].post.responses['202']).toBeDefined();
    const conflict = doc.paths['/v1/clusters'].post.responses['409'];
    expect(Object.keys(conflict.content)).toEqual(['application/problem+json']);
    expect(conflict.content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/healthz'].get.security).toEqual([]);
  });

  it('builds Web UI links with the namespace and the url-encoded workflow id', () => {
    expect(workflowUiUrl('http://h:8233/', 'default', 'cluster/alpha')).toBe(
      'http://h:8233/namespaces/default/workflows/cluster%2Falpha',
    );
  });

  it('keeps 401 problem bodies free of the expected token', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/v1/hosts',
      headers: { authorization: 'Bearer x' },
    });
    expect(res.body).not.toContain(TEST_TOKEN);
    expect(auth.authorization).toContain(TEST_TOKEN);
  });
});
