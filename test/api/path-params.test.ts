// Long path parameters: a 400 problem+json naming the parameter (or a 404), never a 414 (issue 11.8).
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PARAM_LENGTH } from '../../src/api/router-errors.js';
import { TEST_TOKEN, buildTestApi, problemOf, type TestApi } from './helper.js';

type Method = 'GET' | 'PATCH' | 'DELETE' | 'POST';
interface Route {
  method: Method;
  /** `:name` and `:hostId` are filled in per case. */
  path: string;
  body?: object;
}

/** Every route with a path parameter; the first test checks this against the OpenAPI document. */
const ROUTES: Route[] = [
  { method: 'GET', path: '/v1/hosts/:hostId' },
  { method: 'DELETE', path: '/v1/hosts/:hostId' },
  { method: 'POST', path: '/v1/hosts/:hostId/reset', body: {} },
  { method: 'GET', path: '/v1/clusters/:name' },
  { method: 'PATCH', path: '/v1/clusters/:name', body: {} },
  { method: 'DELETE', path: '/v1/clusters/:name' },
  { method: 'POST', path: '/v1/clusters/:name/hosts', body: { hosts: [{ hostId: 'h1', role: 'worker' }] } },
  { method: 'DELETE', path: '/v1/clusters/:name/hosts/:hostId' },
  { method: 'GET', path: '/v1/clusters/:name/events' },
];

const paramsOf = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
/** The route's URL with `long` in parameter `param` and a valid value in the others. */
const urlFor = (r: Route, param: string, long: string) =>
  r.path.replace(/:(\w+)/g, (_m, p: string) => (p === param ? long : 'ok-1'));

/** One case per (route, parameter). */
const CASES = ROUTES.flatMap((r) => paramsOf(r.path).map((param) => ({ ...r, param })));
const label = (c: (typeof CASES)[number]) => `${c.method} ${c.path} with a long :${c.param}`;

describe('long path parameters', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await buildTestApi();
  });
  afterAll(async () => api.close());

  const send = (c: (typeof CASES)[number], long: string) =>
    api.call({
      method: c.method,
      url: urlFor(c, c.param, long),
      ...(c.body ? { payload: c.body } : {}),
    });

  it('the table covers every route of the OpenAPI document that has a path parameter', async () => {
    const res = await api.call({ method: 'GET', url: '/openapi.json' });
    const doc = res.json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.includes('{'))
      .flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      );
    expect(documented.length).toBeGreaterThan(0);
    expect(ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(documented.sort());
  });

  it.each(CASES.map((c) => [label(c), c] as const))(
    '%s (300 characters) is a 400 naming the parameter',
    async (_label, c) => {
      const res = await send(c, 'a'.repeat(300));
      expect(res.statusCode).toBe(400);
      const p = problemOf(res);
      expect(p.errors).toEqual([{ field: `params.${c.param}`, message: expect.stringMatching(/63/) }]);
    },
  );

  it.each(CASES.map((c) => [label(c), c] as const))(
    '%s (10 KB, hostile characters) is a short 400 problem',
    async (_label, c) => {
      const res = await send(c, `${'a'.repeat(5000)}${encodeURIComponent(';rm -rf /')}${'b'.repeat(5000)}`);
      expect(res.statusCode).toBe(400);
      const p = problemOf(res);
      expect(p.errors?.map((e) => e.field)).toEqual([`params.${c.param}`, `params.${c.param}`]);
      expect(res.body.length).toBeLessThan(1000);
    },
  );

  it('a parameter longer than the router limit is still a 400 problem with a field list', async () => {
    const res = await api.call({ method: 'GET', url: `/v1/clusters/${'a'.repeat(MAX_PARAM_LENGTH + 1)}` });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).errors).toEqual([{ field: 'params', message: expect.stringContaining('longer') }]);
    expect(res.body.length).toBeLessThan(1000);
  });

  it('a long segment under a route that does not exist is a 404 problem', async () => {
    const res = await api.call({ method: 'GET', url: `/v1/clusters/${'a'.repeat(300)}/nothing` });
    expect(res.statusCode).toBe(404);
    expect(problemOf(res).detail.length).toBeLessThanOrEqual(300);
  });
});

describe('long URLs over real HTTP', () => {
  let api: TestApi;
  let port: number;
  beforeAll(async () => {
    api = await buildTestApi();
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    port = (api.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => api.close());

  /** Raw node:http, so nothing between us and the server shortens or rejects the URL. */
  const http = (method: Method, path: string) =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const headers = { authorization: `Bearer ${TEST_TOKEN}` };
      const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  const fieldsOf = (body: string) =>
    (JSON.parse(body) as { errors?: Array<{ field: string }> }).errors?.map((e) => e.field);

  it('a 10 KB cluster name is a 400 problem+json naming params.name', async () => {
    const res = await http('GET', `/v1/clusters/${'a'.repeat(10 * 1024)}`);
    expect(res.status).toBe(400);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, type: expect.stringContaining('validation') });
    expect(fieldsOf(res.body)).toEqual(['params.name']);
  });

  it('a 10 KB host id on DELETE .../hosts/:hostId is a 400 problem+json naming params.hostId', async () => {
    const res = await http('DELETE', `/v1/clusters/x/hosts/${'h'.repeat(10 * 1024)}`);
    expect(res.status).toBe(400);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(fieldsOf(res.body)).toEqual(['params.hostId']);
  });

  it('a URL over the HTTP parser limit is a 431 problem+json, not a bare error', async () => {
    const res = await http('GET', `/v1/clusters/${'a'.repeat(32 * 1024)}`);
    expect(res.status).toBe(431);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ status: 431, type: expect.stringContaining('urn:') });
  });
});
