import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidrOverlapProblems } from '../../src/api/overlay-checks.js';
import { buildTestApi, problemOf, type TestApi } from './helper.js';

const host = (hostId: string, role = 'worker') => ({ hostId, role });
const okBody = { name: 'alpha', hosts: [host('h1', 'control-plane')] };

describe('API input validation (no workflow needed)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await buildTestApi();
  });
  afterAll(async () => api.close());

  const post = (payload: unknown, url = '/v1/clusters') =>
    api.call({ method: 'POST', url, payload: payload as object });

  it.each([
    ['an unknown top-level field', { ...okBody, extra: 1 }, 'extra', 'unknown field'],
    [
      'an unknown host field',
      { name: 'alpha', hosts: [{ ...host('h1'), ip: '1.2.3.4' }] },
      'hosts[0].ip',
      'unknown',
    ],
    ['a missing name', { hosts: okBody.hosts }, 'name', ''],
    ['an upper-case name', { ...okBody, name: 'Alpha' }, 'name', 'DNS label'],
    ['a name with a slash', { ...okBody, name: 'a/b' }, 'name', 'DNS label'],
    ['a numeric name', { ...okBody, name: 5 }, 'name', ''],
    ['no hosts', { name: 'alpha', hosts: [] }, 'hosts', ''],
    ['hosts as an object', { name: 'alpha', hosts: { h1: 'worker' } }, 'hosts', ''],
    ['a bad role', { name: 'alpha', hosts: [host('h1', 'master')] }, 'hosts[0].role', ''],
    ['a hostile host id', { name: 'alpha', hosts: [host('h1;rm -rf /')] }, 'hosts[0].hostId', 'DNS label'],
    ['a path-traversal host id', { name: 'alpha', hosts: [host('../../etc')] }, 'hosts[0].hostId', ''],
    [
      'duplicate host ids',
      { name: 'alpha', hosts: [host('h1'), host('h1')] },
      'hosts[1].hostId',
      'duplicate',
    ],
    ['a malformed CIDR', { ...okBody, overlayCidr: '100.64.300.0/24' }, 'overlayCidr', 'CIDR'],
    ['a CIDR without prefix', { ...okBody, overlayCidr: '100.64.0.0' }, 'overlayCidr', 'CIDR'],
    ['a prefix of 33', { ...okBody, overlayCidr: '100.64.0.0/33' }, 'overlayCidr', 'CIDR'],
    [
      'host bits set',
      { ...okBody, overlayCidr: '100.64.192.5/24' },
      'overlayCidr',
      'did you mean 100.64.192.0/24?',
    ],
    ['a /31', { ...okBody, overlayCidr: '100.64.192.0/31' }, 'overlayCidr', '0 usable addresses; 2 needed'],
    ['a multicast CIDR', { ...okBody, overlayCidr: '239.1.0.0/16' }, 'overlayCidr', 'multicast'],
    ['a loopback CIDR', { ...okBody, overlayCidr: '127.0.0.0/24' }, 'overlayCidr', 'loopback'],
    ['VNI 0', { ...okBody, vni: 0 }, 'vni', ''],
    ['VNI 2^24', { ...okBody, vni: 16_777_216 }, 'vni', ''],
    ['VNI as a string', { ...okBody, vni: '100' }, 'vni', ''],
    ['a fractional VNI', { ...okBody, vni: 1.5 }, 'vni', ''],
    ['an unknown mode', { ...okBody, mode: 'broadcast' }, 'mode', ''],
  ])('POST /v1/clusters with %s is a 400 naming the field', async (_what, body, field, message) => {
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    const p = problemOf(res);
    const hit = p.errors?.find((e) => e.field === field);
    expect(hit, JSON.stringify(p)).toBeDefined();
    expect(hit!.message).toContain(message);
  });

  it('reports every problem of a body at once', async () => {
    const res = await post({ name: 'A', vni: -1, mode: 'x', hosts: [host('H')], junk: true });
    const fields = problemOf(res)
      .errors!.map((e) => e.field)
      .sort();
    expect(fields).toEqual(['hosts[0].hostId', 'junk', 'mode', 'name', 'vni']);
  });

  it('rejects a /30 for two hosts: VIP + 2 hosts need 3 usable addresses', () => {
    expect(cidrOverlapProblems('10.99.0.0/30', 1, [])).toEqual([]);
    expect(cidrOverlapProblems('10.99.0.0/30', 2, [])[0]?.message).toContain('2 usable addresses; 3 needed');
    expect(cidrOverlapProblems('100.64.192.0/24', 253, [])).toEqual([]);
    expect(cidrOverlapProblems('100.64.192.0/24', 254, [])).toHaveLength(1);
  });

  it('rejects an overlay that contains a host underlay address', () => {
    const rec = { hostId: 'h1', underlayIp: '10.213.0.7', lastSeen: '', cluster: null };
    expect(cidrOverlapProblems('10.213.0.0/16', 1, [rec])[0]?.message).toContain('10.213.0.7 of host h1');
    expect(cidrOverlapProblems('10.214.0.0/16', 1, [rec])).toEqual([]);
  });

  it('rejects malformed JSON with a 400 problem', async () => {
    const res = await api.call({
      method: 'POST',
      url: '/v1/clusters',
      payload: '{"name": "alpha", ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).type).toBe('urn:edge-overlay:problem:malformed-request');
    expect(problemOf(res).errors?.[0]?.field).toBe('(body)');
  });

  it('rejects __proto__ keys (prototype poisoning) with a 400 problem', async () => {
    const res = await api.call({
      method: 'POST',
      url: '/v1/clusters',
      payload: '{"name":"alpha","hosts":[],"__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    problemOf(res);
  });

  it('rejects an empty JSON body and a JSON null body with 400', async () => {
    for (const payload of ['', 'null', '[]', '"x"', '42']) {
      const res = await api.call({
        method: 'POST',
        url: '/v1/clusters',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.statusCode, payload).toBe(400);
      problemOf(res);
    }
  });

  it('rejects a body over the limit with 413', async () => {
    const res = await post({ name: 'alpha', hosts: [host('h1')], pad: 'x'.repeat(70 * 1024) });
    expect(res.statusCode).toBe(413);
    expect(problemOf(res).type).toBe('urn:edge-overlay:problem:payload-too-large');
  });

  it('rejects non-JSON media types with 415', async () => {
    const res = await api.call({
      method: 'POST',
      url: '/v1/clusters',
      payload: 'name=alpha',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.statusCode).toBe(415);
    problemOf(res);
  });

  it('rejects a bad Idempotency-Key header with 400', async () => {
    const res = await api.call({
      method: 'POST',
      url: '/v1/clusters',
      payload: okBody,
      headers: { 'idempotency-key': 'x'.repeat(300) },
    });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).errors?.[0]?.field).toBe('Idempotency-Key');
  });

  it('answers 400 naming every unregistered host (host registry looked up, nothing started)', async () => {
    const res = await post({
      name: 'never-started',
      hosts: [host('ghost-a'), host('ghost-b', 'control-plane')],
    });
    expect(res.statusCode).toBe(400);
    const p = problemOf(res);
    expect(p.type).toBe('urn:edge-overlay:problem:host-not-registered');
    expect(p.errors!.map((e) => e.field)).toEqual(['hosts[0].hostId', 'hosts[1].hostId']);
    const d = await api.client.workflow
      .getHandle('cluster/never-started')
      .describe()
      .catch((e: Error) => e.name);
    expect(d).toBe('WorkflowNotFoundError');
  });

  it.each([
    ['GET', '/v1/clusters/no-such'],
    ['DELETE', '/v1/clusters/no-such'],
    ['GET', '/v1/clusters/no-such/events'],
    ['DELETE', '/v1/clusters/no-such/hosts/h1'],
    ['PATCH', '/v1/clusters/no-such'],
  ] as const)('%s %s on a missing cluster is 404', async (method, url) => {
    const res = await api.call({ method, url, ...(method === 'PATCH' ? { payload: { vni: 7 } } : {}) });
    expect(res.statusCode).toBe(404);
    expect(problemOf(res).type).toBe('urn:edge-overlay:problem:cluster-not-found');
  });

  it('POST /v1/clusters/:name/hosts on a missing cluster is 404', async () => {
    const res = await post({ hosts: [host('h1')] }, '/v1/clusters/no-such/hosts');
    expect(res.statusCode).toBe(404);
  });

  it.each([
    ['GET', '/v1/clusters/UPPER'],
    ['GET', '/v1/clusters/a..b'],
    ['DELETE', '/v1/clusters/ok/hosts/bad_host'],
    ['GET', '/v1/clusters/alpha/events?after=-1'],
    ['GET', '/v1/clusters/alpha/events?after=abc'],
    ['GET', '/v1/clusters/alpha/events?bogus=1'],
    ['GET', '/v1/hosts/a%3Bb'],
  ] as const)('%s %s with a bad path or query is 400', async (method, url) => {
    const res = await api.call({ method, url });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).errors?.length).toBeGreaterThan(0);
  });

  it.each([
    ['an unknown field', { hostId: 'h1', underlayIp: '10.213.0.2', x: 1 }, 'x'],
    ['a bad address', { hostId: 'h1', underlayIp: '10.213.0.256' }, 'underlayIp'],
    [
      'a 16-character interface name',
      { hostId: 'h1', underlayIp: '10.0.0.1', underlayIface: 'a'.repeat(16) },
      'underlayIface',
    ],
    [
      'an interface with a slash',
      { hostId: 'h1', underlayIp: '10.0.0.1', underlayIface: '../eth0' },
      'underlayIface',
    ],
    ['a shell metacharacter id', { hostId: '$(reboot)', underlayIp: '10.0.0.1' }, 'hostId'],
    ['a bad label key', { hostId: 'h1', underlayIp: '10.0.0.1', labels: { 'a b': 'x' } }, 'labels.a b'],
  ])('POST /v1/hosts/register with %s is a 400', async (_what, body, field) => {
    const res = await post(body, '/v1/hosts/register');
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).errors?.map((e) => e.field)).toContain(field);
  });

  it('PATCH with an unknown field is 400, not silently ignored', async () => {
    const res = await api.call({ method: 'PATCH', url: '/v1/clusters/alpha', payload: { name: 'beta' } });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).errors?.[0]).toEqual({ field: 'name', message: 'unknown field' });
  });
});

describe('router-level errors', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await buildTestApi();
  });
  afterAll(async () => api.close());

  it('answers an over-long path parameter with a short 400 problem naming it (never 414)', async () => {
    const res = await api.call({ method: 'GET', url: `/v1/clusters/${'a'.repeat(5000)}` });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).errors?.map((e) => e.field)).toEqual(['params.name']);
    expect(res.body.length).toBeLessThanOrEqual(1000);
  });

  it('answers a badly encoded URL with a 400 problem', async () => {
    const res = await api.call({ method: 'GET', url: '/v1/clusters/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    problemOf(res);
  });
});
