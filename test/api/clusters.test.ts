// Every /v1/clusters route end to end: real dev server, real control worker (the workflow bundle), fake
// hosts with their own workers (the workflow tests' harness), the API through inject.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterView } from '../../src/domain/types.js';
import { ClusterHarness, roles, suffix } from '../workflows/support/cluster-harness.js';
import type { FakeHost } from '../workflows/support/fake-host.js';
import { buildTestApi, problemOf, type TestApi, UI_BASE } from './helper.js';

type View = ClusterView & { workflowId: string; uiUrl: string };

describe('/v1/clusters end to end', () => {
  let h: ClusterHarness;
  let api: TestApi;
  let hosts: FakeHost[];
  const name = `api-${suffix()}`;

  beforeAll(async () => {
    h = await ClusterHarness.create();
    api = await buildTestApi({ client: h.client, taskQueue: h.taskQueue });
    hosts = await h.addHosts(5);
  });
  afterAll(async () => {
    await api.close();
    await h.close();
  });

  const createBody = () => ({ name, hosts: roles(hosts.slice(0, 3)) });
  const get = (path: string) => api.call({ method: 'GET', url: path });
  const view = async (): Promise<View> => {
    const res = await get(`/v1/clusters/${name}`);
    if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${res.body}`);
    return res.json();
  };
  const waitView = (what: string, ok: (v: View) => boolean) => h.waitFor(what, view, ok, 30_000);

  it('POST /v1/clusters is 202 with name, workflowId and a Web UI link, and reaches Ready', async () => {
    const res = await api.call({ method: 'POST', url: '/v1/clusters', payload: createBody() });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({
      name,
      workflowId: `cluster/${name}`,
      uiUrl: `${UI_BASE}/namespaces/default/workflows/cluster%2F${name}`,
    });
    expect(res.headers.location).toBe(`/v1/clusters/${name}`);

    const ready = await waitView('Ready', (v) => v.phase === 'Ready');
    expect(ready).toMatchObject({
      name,
      phase: 'Ready',
      overlayCidr: '100.64.192.0/24',
      vip: '100.64.192.1',
      vipHolder: hosts[0]!.hostId,
      vni: 100,
      mode: 'unicast',
      workflowId: `cluster/${name}`,
    });
    expect(ready.hosts).toHaveLength(3);
    for (const [i, host] of ready.hosts.entries()) {
      expect(Object.keys(host).sort()).toEqual([
        'hostId',
        'lastSeen',
        'overlayIp',
        'role',
        'state',
        'underlayIp',
      ]);
      expect(host).toMatchObject({
        hostId: hosts[i]!.hostId,
        state: 'Joined',
        underlayIp: hosts[i]!.underlayIp,
      });
    }
    expect(ready.hosts.map((x) => x.overlayIp)).toEqual(['100.64.192.2', '100.64.192.3', '100.64.192.4']);
    const readyCond = ready.conditions.find((c) => c.type === 'Ready');
    expect(readyCond).toMatchObject({ status: 'True' });
    expect(Object.keys(readyCond!).sort()).toEqual([
      'lastTransitionTime',
      'message',
      'reason',
      'status',
      'type',
    ]);
  });

  it('POST /v1/clusters again with the same body (any key order, defaults spelled out) is 202, same run', async () => {
    const before = await h.handle(name).describe();
    const b = createBody();
    const spelled = { hosts: b.hosts, mode: 'unicast', vni: 100, overlayCidr: '100.64.192.0/24', name };
    const [r1, r2] = await Promise.all([
      api.call({ method: 'POST', url: '/v1/clusters', payload: b }),
      api.call({ method: 'POST', url: '/v1/clusters', payload: spelled }),
    ]);
    expect([r1.statusCode, r2.statusCode]).toEqual([202, 202]);
    expect(r2.json()).toEqual(r1.json());
    expect((await h.handle(name).describe()).runId).toBe(before.runId);
  });

  it('POST /v1/clusters with a different body under the same name is 409', async () => {
    for (const changed of [
      { ...createBody(), vni: 200 },
      { ...createBody(), hosts: roles(hosts.slice(0, 2)) },
      { ...createBody(), mode: 'multicast' },
    ]) {
      const res = await api.call({ method: 'POST', url: '/v1/clusters', payload: changed });
      expect(res.statusCode).toBe(409);
      expect(problemOf(res).type).toBe('urn:edge-overlay:problem:cluster-exists');
    }
  });

  it('POST /v1/clusters naming a host of this cluster for a new cluster is 409, nothing starts', async () => {
    const other = `api-other-${suffix()}`;
    const res = await api.call({
      method: 'POST',
      url: '/v1/clusters',
      payload: { name: other, hosts: roles([hosts[1]!]) },
    });
    expect(res.statusCode).toBe(409);
    expect(problemOf(res).detail).toContain(`already belongs to cluster ${name}`);
    await expect(h.handle(other).describe()).rejects.toThrow();
  });

  it('PATCH overlayCidr/vni/mode is 409 (immutable); the same values or an empty body are 200', async () => {
    for (const patch of [{ vni: 7 }, { overlayCidr: '100.64.0.0/24' }, { mode: 'multicast' }]) {
      const res = await api.call({ method: 'PATCH', url: `/v1/clusters/${name}`, payload: patch });
      expect(res.statusCode).toBe(409);
      const p = problemOf(res);
      expect(p.type).toBe('urn:edge-overlay:problem:overlay-immutable');
      expect(p.errors?.[0]?.field).toBe(Object.keys(patch)[0]);
    }
    const same = await api.call({
      method: 'PATCH',
      url: `/v1/clusters/${name}`,
      payload: { overlayCidr: '100.64.192.0/24', vni: 100, mode: 'unicast' },
    });
    expect(same.statusCode).toBe(200);
    expect(same.json().name).toBe(name);
    const empty = await api.call({ method: 'PATCH', url: `/v1/clusters/${name}`, payload: {} });
    expect(empty.statusCode).toBe(200);
  });

  it('POST /v1/clusters/:name/hosts is 202 and the host joins; members, strangers and bad ids are refused', async () => {
    const res = await api.call({
      method: 'POST',
      url: `/v1/clusters/${name}/hosts`,
      payload: { hosts: [{ hostId: hosts[3]!.hostId, role: 'worker' }] },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ name, workflowId: `cluster/${name}` });
    const v = await waitView(
      '4th host joined',
      (x) => x.hosts.find((y) => y.hostId === hosts[3]!.hostId)?.state === 'Joined',
    );
    expect(v.hosts.find((y) => y.hostId === hosts[3]!.hostId)?.overlayIp).toBe('100.64.192.5');

    const member = await api.call({
      method: 'POST',
      url: `/v1/clusters/${name}/hosts`,
      payload: { hosts: [{ hostId: hosts[0]!.hostId, role: 'worker' }] },
    });
    expect(member.statusCode).toBe(409);
    expect(problemOf(member).type).toBe('urn:edge-overlay:problem:host-already-in-cluster');

    const stranger = await api.call({
      method: 'POST',
      url: `/v1/clusters/${name}/hosts`,
      payload: { hosts: [{ hostId: `ghost-${suffix()}`, role: 'worker' }] },
    });
    expect(stranger.statusCode).toBe(400);
    expect(problemOf(stranger).errors?.[0]?.field).toBe('hosts[0].hostId');

    const bad = await api.call({
      method: 'POST',
      url: `/v1/clusters/${name}/hosts`,
      payload: { hosts: [{ hostId: 'x', role: 'boss' }] },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('DELETE /v1/clusters/:name/hosts/:hostId is 202 and the host leaves; a non-member is 404', async () => {
    const res = await api.call({ method: 'DELETE', url: `/v1/clusters/${name}/hosts/${hosts[3]!.hostId}` });
    expect(res.statusCode).toBe(202);
    await waitView('4th host removed', (x) => !x.hosts.some((y) => y.hostId === hosts[3]!.hostId));
    const again = await api.call({ method: 'DELETE', url: `/v1/clusters/${name}/hosts/${hosts[4]!.hostId}` });
    expect(again.statusCode).toBe(404);
    expect(problemOf(again).type).toBe('urn:edge-overlay:problem:host-not-in-cluster');
  });

  it('GET /v1/clusters/:name/events is ordered, typed and filterable with ?after=', async () => {
    const res = await get(`/v1/clusters/${name}/events`);
    expect(res.statusCode).toBe(200);
    const events = res.json() as Array<{
      seq: number;
      time: string;
      type: string;
      hostId?: string;
      data: object;
    }>;
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('ClusterCreated');
    expect(types.filter((t) => t === 'HostJoined').length).toBeGreaterThanOrEqual(4);
    expect(types).toContain('HostRemoved');
    expect(events.every((e) => typeof e.time === 'string' && typeof e.data === 'object')).toBe(true);
    const after = seqs[2]!;
    const tail = (await get(`/v1/clusters/${name}/events?after=${after}`)).json() as Array<{ seq: number }>;
    // New events may have arrived between the two reads: compare up to what the first read saw.
    const last = seqs.at(-1)!;
    expect(tail.every((e) => e.seq > after)).toBe(true);
    expect(tail.map((e) => e.seq).filter((s) => s <= last)).toEqual(seqs.filter((s) => s > after));
  });

  it('GET /v1/clusters lists the cluster with its phase and host count', async () => {
    const found = await h.waitFor(
      'cluster listed',
      async () => (await get('/v1/clusters')).json().clusters as Array<Record<string, unknown>>,
      (l) => l.some((c) => c.name === name && c.phase === 'Ready' && c.hostCount === 3),
    );
    expect(found.find((c) => c.name === name)).toMatchObject({ hostCount: 3, workflowId: `cluster/${name}` });
  });

  it('GET /v1/hosts shows cluster membership', async () => {
    const listed = await h.waitFor(
      'membership in registry',
      async () => (await get('/v1/hosts')).json() as Array<{ hostId: string; cluster: string | null }>,
      (l) => l.find((x) => x.hostId === hosts[0]!.hostId)?.cluster === name,
    );
    expect(listed.find((x) => x.hostId === hosts[4]!.hostId)?.cluster).toBeNull();
  });

  it('DELETE /v1/clusters/:name is 202, repeatable while tearing down, then the cluster is 404', async () => {
    const res = await api.call({ method: 'DELETE', url: `/v1/clusters/${name}` });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ name, workflowId: `cluster/${name}` });
    const again = await api.call({ method: 'DELETE', url: `/v1/clusters/${name}` });
    expect([202, 404]).toContain(again.statusCode);
    await h.waitFor(
      'cluster gone',
      () => get(`/v1/clusters/${name}`),
      (r) => r.statusCode === 404,
    );
    for (const fake of hosts.slice(0, 3)) expect(fake.overlay).toBeNull();
    const gone = await api.call({ method: 'DELETE', url: `/v1/clusters/${name}` });
    expect(gone.statusCode).toBe(404);
    const events = (await get(`/v1/clusters/${name}/events`)).json() as Array<{ type: string }>;
    expect(events.at(-1)?.type).toBe('ClusterDeleted');
    const add = await api.call({
      method: 'POST',
      url: `/v1/clusters/${name}/hosts`,
      payload: { hosts: [{ hostId: hosts[4]!.hostId, role: 'worker' }] },
    });
    expect(add.statusCode).toBe(404);
  });
});
