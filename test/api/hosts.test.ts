// /v1/hosts against the real dev server and a worker running hostWorkflow.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlActivities } from '../../src/activities/control/index.js';
import { hostWorkflowId } from '../../src/domain/ids.js';
import { claimHostUpdate } from '../../src/contract/workflow-messages.js';
import { runningWorker, uniqueTaskQueue } from '../helpers/temporal.js';
import { buildTestApi, problemOf, type TestApi, UI_BASE } from './helper.js';

const hid = (name: string) => `${name}-${randomUUID().slice(0, 6)}`;

describe('/v1/hosts', () => {
  let api: TestApi;
  let controlWorker: { stop: () => Promise<void> };
  const taskQueue = uniqueTaskQueue('api-hosts');

  beforeAll(async () => {
    api = await buildTestApi({ taskQueue });
    controlWorker = await runningWorker({
      taskQueue,
      activities: createControlActivities({ client: api.client }),
    });
  });
  afterAll(async () => {
    await controlWorker.stop();
    await api.close();
  });

  const register = (payload: object) => api.call({ method: 'POST', url: '/v1/hosts/register', payload });

  it('POST /v1/hosts/register is 200 and idempotent, with a Web UI link', async () => {
    const hostId = hid('reg');
    const body = { hostId, underlayIp: '10.213.0.21', underlayIface: 'eth0', labels: { zone: 'a' } };
    const first = await register(body);
    const second = await register(body);
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ ...body, cluster: null, workflowId: `host/${hostId}` });
    expect(second.json().uiUrl).toBe(`${UI_BASE}/namespaces/default/workflows/host%2F${hostId}`);
    expect(Date.parse(second.json().lastSeen)).toBeGreaterThanOrEqual(Date.parse(first.json().lastSeen));
  });

  it('re-registering with a new address updates the record', async () => {
    const hostId = hid('move');
    await register({ hostId, underlayIp: '10.213.0.30' });
    const moved = await register({ hostId, underlayIp: '10.213.0.31' });
    expect(moved.json().underlayIp).toBe('10.213.0.31');
    const one = await api.call({ method: 'GET', url: `/v1/hosts/${hostId}` });
    expect(one.statusCode).toBe(200);
    expect(one.json().underlayIp).toBe('10.213.0.31');
  });

  it('GET /v1/hosts lists registered hosts with address, last seen and cluster', async () => {
    const hostId = hid('list');
    await register({ hostId, underlayIp: '10.213.0.40' });
    let listed: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 150 && !listed.some((h) => h.hostId === hostId); i++) {
      const res = await api.call({ method: 'GET', url: '/v1/hosts' });
      expect(res.statusCode).toBe(200);
      listed = res.json();
      await new Promise((r) => setTimeout(r, 200));
    }
    const entry = listed.find((h) => h.hostId === hostId);
    expect(entry).toMatchObject({
      underlayIp: '10.213.0.40',
      cluster: null,
      workflowId: hostWorkflowId(hostId),
    });
    expect(typeof entry?.lastSeen).toBe('string');
  });

  it('GET /v1/hosts/:hostId is 404 for a host that never registered', async () => {
    const res = await api.call({ method: 'GET', url: `/v1/hosts/${hid('ghost')}` });
    expect(res.statusCode).toBe(404);
    expect(problemOf(res).type).toBe('urn:edge-overlay:problem:host-not-registered');
  });

  it('POST /v1/clusters is 409 when a host already belongs to another cluster; nothing starts', async () => {
    const hostId = hid('held');
    await register({ hostId, underlayIp: '10.213.0.50' });
    await api.client.workflow.getHandle(hostWorkflowId(hostId)).executeUpdate(claimHostUpdate, {
      args: [{ cluster: 'other-cluster' }],
    });
    const name = hid('wants');
    const res = await api.call({
      method: 'POST',
      url: '/v1/clusters',
      payload: { name, hosts: [{ hostId, role: 'worker' }] },
    });
    expect(res.statusCode).toBe(409);
    const p = problemOf(res);
    expect(p.type).toBe('urn:edge-overlay:problem:host-already-in-cluster');
    expect(p.detail).toContain('other-cluster');
    await expect(api.client.workflow.getHandle(`cluster/${name}`).describe()).rejects.toThrow();
  });

  it('POST /v1/clusters is 400 when the overlay contains a host underlay address', async () => {
    const hostId = hid('under');
    await register({ hostId, underlayIp: '100.64.192.7' });
    const name = hid('clash');
    const res = await api.call({
      method: 'POST',
      url: '/v1/clusters',
      payload: { name, hosts: [{ hostId, role: 'worker' }] },
    });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).errors?.[0]).toMatchObject({ field: 'overlayCidr' });
    expect(problemOf(res).errors?.[0]?.message).toContain('100.64.192.7');
  });
});
