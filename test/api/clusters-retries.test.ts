// /v1/clusters beyond the happy path: Idempotency-Key retries, and a control plane whose worker is down
// (real dev server, fake hosts, the API through inject). Split from clusters.test.ts.
import { describe, expect, it } from 'vitest';
import { roles, suffix } from '../workflows/support/cluster-harness.js';
import { problemOf } from './helper.js';
import { apiOverHarness } from './with-harness.js';

describe('Idempotency-Key', () => {
  const { h, api } = apiOverHarness();

  it('a retry with the same key is 202 even after deletion, without recreating; a reused key with another body is 409', async () => {
    const hosts = await h().addHosts(1, 'idem');
    const name = `idem-${suffix()}`;
    const body = { name, hosts: roles(hosts) };
    const key = `key-${suffix()}`;
    const post = (payload: object, k: string) =>
      api().call({ method: 'POST', url: '/v1/clusters', payload, headers: { 'idempotency-key': k } });

    expect((await post(body, key)).statusCode).toBe(202);
    const first = await h().handle(name).describe();
    const reused = await post({ ...body, vni: 9 }, key);
    expect(reused.statusCode).toBe(409);
    expect(problemOf(reused).detail).toContain('Idempotency-Key');

    await h().waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    expect((await api().call({ method: 'DELETE', url: `/v1/clusters/${name}` })).statusCode).toBe(202);
    await h().waitFor(
      'closed',
      () => h().handle(name).describe(),
      (d) => d.status.name !== 'RUNNING',
    );

    const retry = await post(body, key);
    expect(retry.statusCode).toBe(202);
    expect((await h().handle(name).describe()).runId).toBe(first.runId);

    // A new key (or none) re-creates a deleted cluster under the same name.
    const recreate = await post(body, `key-${suffix()}`);
    expect(recreate.statusCode).toBe(202);
    const second = await h().handle(name).describe();
    expect(second.runId).not.toBe(first.runId);
    expect(second.status.name).toBe('RUNNING');
    await h().handle(name).terminate('test cleanup');
  });
});

describe('without a control worker', () => {
  const { h, api } = apiOverHarness({ temporalTimeoutMs: 1500 });

  it('queries and updates time out as 503 problem+json instead of hanging, and work again after', async () => {
    const hosts = await h().addHosts(1, 'nw');
    const { name } = await h().startCluster(roles(hosts));
    await h().waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    await h().stopControlWorker();
    for (const [method, url, payload] of [
      ['GET', `/v1/clusters/${name}`, undefined],
      ['GET', `/v1/clusters/${name}/events`, undefined],
      ['PATCH', `/v1/clusters/${name}`, { vni: 5 }],
      ['POST', '/v1/hosts/register', { hostId: hosts[0]!.hostId, underlayIp: hosts[0]!.underlayIp }],
    ] as const) {
      const t0 = Date.now();
      const res = await api().call({ method, url, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(503);
      expect(problemOf(res).type).toBe('urn:edge-overlay:problem:temporal-unavailable');
      // Bounded by the 1.5 s deadline, not the ~30 s server query timeout or an update's endless wait.
      expect(Date.now() - t0).toBeLessThan(25_000);
    }
    await h().startControlWorker();
    // The new worker replays the history first; under load that may take more than one short deadline.
    const back = await h().waitFor(
      'answers again',
      () => api().call({ method: 'GET', url: `/v1/clusters/${name}` }),
      (r) => r.statusCode === 200,
    );
    expect(back.json().name).toBe(name);
  });

  it('a create that was not confirmed in time says it may still happen; the same request again gets its outcome', async () => {
    const hosts = await h().addHosts(2, 'np');
    const name = `np-${suffix()}`;
    const body = { name, hosts: roles(hosts) };
    await h().stopControlWorker();
    const first = await api().call({ method: 'POST', url: '/v1/clusters', payload: body });
    expect(first.statusCode).toBe(503);
    expect(first.headers['retry-after']).toBe('2');
    expect(problemOf(first).detail).toMatch(/may still be created: send the same request again/);
    // Update-with-start started the run before the deadline: it waits for a worker to admit it.
    const started = await h().handle(name).describe();
    expect(started.status.name).toBe('RUNNING');

    await h().startControlWorker();
    const again = await h().waitFor(
      'the retry answered',
      () => api().call({ method: 'POST', url: '/v1/clusters', payload: body }),
      (r) => r.statusCode !== 503,
    );
    expect(again.statusCode).toBe(202);
    // The retry attached to the run the first request started: one cluster, admitted once.
    expect((await h().handle(name).describe()).runId).toBe(started.runId);
    const view = await h().waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    expect(view.hosts.map((x) => x.hostId).sort()).toEqual(hosts.map((x) => x.hostId).sort());
    await h().handle(name).terminate('test cleanup');
  });
});
