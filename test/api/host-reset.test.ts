// POST /v1/hosts/:hostId/reset end to end (real dev server and control worker, fake hosts behind the
// relay): 200 with what the agent removed, the HostReset event on GET /v1/hosts/:hostId, 409 for a
// cluster member, 404 for an unknown host, 400 for a hostile body.
import { describe, expect, it } from 'vitest';
import { roles } from '../workflows/support/cluster-harness.js';
import { problemOf } from './helper.js';
import { apiOverHarness } from './with-harness.js';

describe('POST /v1/hosts/:hostId/reset', () => {
  const env = apiOverHarness();
  const reset = (hostId: string, payload: unknown = {}) =>
    env.api().call({ method: 'POST', url: `/v1/hosts/${hostId}/reset`, payload: payload as object });

  it('resets a host in no cluster and shows the event on the host', async () => {
    const [host] = await env.h().addHosts(1, 'api-rst');
    const res = await reset(host!.hostId, { reason: 'stranded' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ hostId: host!.hostId, changed: false, removed: [] });
    const got = await env.api().call({ method: 'GET', url: `/v1/hosts/${host!.hostId}` });
    expect(got.json().events).toEqual([
      expect.objectContaining({ type: 'HostReset', data: expect.objectContaining({ reason: 'stranded' }) }),
    ]);
  });

  it('409 for a cluster member, 404 for an unknown host, 400 for a hostile body', async () => {
    const hosts = await env.h().addHosts(1, 'api-mem');
    const { name } = await env.h().startCluster(roles(hosts, 1));
    await env.h().waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    const member = await reset(hosts[0]!.hostId);
    expect(member.statusCode).toBe(409);
    expect(problemOf(member).detail).toContain(`belongs to cluster ${name}`);
    const unknown = await reset('never-registered-host');
    expect(unknown.statusCode).toBe(404);
    const hostile = await reset(hosts[0]!.hostId, { reason: 'x'.repeat(500), extra: true });
    expect(hostile.statusCode).toBe(400);
    expect(hosts[0]!.count('reset')).toBe(0);
  });
});
