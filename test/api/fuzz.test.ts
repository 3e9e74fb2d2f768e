// Property tests: hostile input at every route is a 4xx problem+json, never a 5xx, and never starts a
// workflow (checked by id and by visibility over the test's time window).
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlActivities } from '../../src/activities/control/index.js';
import { testWorker, uniqueTaskQueue } from '../helpers/temporal.js';
import { buildTestApi, problemOf, type TestApi } from './helper.js';

import { RUNS, hostile, validBase, corruption, badRegistration, type Body } from './support/hostile-input.js';

describe('fuzzing the API with hostile input', () => {
  let api: TestApi;
  let worker: Worker;
  let running: Promise<void>;
  let closeWorker: () => Promise<void>;
  const taskQueue = uniqueTaskQueue('fuzz');
  const attemptedNames = new Set<string>();
  const statuses = new Map<number, number>();
  let startedAt: Date;
  let underlayHost: string;

  beforeAll(async () => {
    startedAt = new Date();
    api = await buildTestApi({ taskQueue });
    const w = await testWorker({ taskQueue, activities: createControlActivities({ client: api.client }) });
    worker = w.worker;
    closeWorker = w.close;
    running = worker.run();
    underlayHost = `fz-under-${randomUUID().slice(0, 6)}`;
    const reg = await api.call({
      method: 'POST',
      url: '/v1/hosts/register',
      payload: { hostId: underlayHost, underlayIp: '100.64.7.9' },
    });
    expect(reg.statusCode).toBe(200);
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await closeWorker();
    await api.close();
  });

  function expectRejected(res: LightMyRequestResponse, context: unknown): void {
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    if (res.statusCode < 400 || res.statusCode >= 500) {
      throw new Error(
        `got ${res.statusCode} for ${JSON.stringify(context).slice(0, 500)}: ${res.body.slice(0, 500)}`,
      );
    }
    const p = problemOf(res);
    if (res.statusCode === 400 && !p.errors?.length) throw new Error(`400 without field errors: ${res.body}`);
  }

  it('POST /v1/clusters: a valid body with one defect is always a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(validBase, corruption, async (base, corrupt) => {
        const body = corrupt(base as Body);
        if (typeof body.name === 'string') attemptedNames.add(body.name);
        attemptedNames.add(base.name);
        const res = await api.call({ method: 'POST', url: '/v1/clusters', payload: body });
        expectRejected(res, body);
      }),
      { numRuns: RUNS },
    );
  });

  it('POST /v1/clusters: an overlay that overlaps a registered host underlay is a 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^fz[a-z0-9]{1,10}$/),
        fc.constantFrom('100.64.0.0/16', '100.64.7.0/24', '100.64.0.0/10', '100.64.7.8/29', '100.0.0.0/8'),
        async (name, overlayCidr) => {
          attemptedNames.add(name);
          const body = { name, overlayCidr, hosts: [{ hostId: underlayHost, role: 'control-plane' }] };
          const res = await api.call({ method: 'POST', url: '/v1/clusters', payload: body });
          expectRejected(res, body);
          expect(problemOf(res).errors?.[0]?.message).toContain('100.64.7.9');
        },
      ),
      { numRuns: 30 },
    );
  });

  it('POST /v1/clusters: arbitrary JSON values and arbitrary bytes are 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 200 }),
          fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)),
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a).toString('latin1')),
        ),
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/xml',
        ),
        async (payload, contentType) => {
          const res = await api.call({
            method: 'POST',
            url: '/v1/clusters',
            payload,
            headers: { 'content-type': contentType },
          });
          expectRejected(res, { payload, contentType });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('huge strings in any field are 4xx (413 past the body limit)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('name', 'overlayCidr', 'mode', 'hostId'),
        fc.integer({ min: 1000, max: 200_000 }),
        async (field, size) => {
          const big = 'a'.repeat(size);
          const body: Body = { name: 'fzhuge', hosts: [{ hostId: 'fzhbig', role: 'worker' }] };
          if (field === 'hostId') body.hosts = [{ hostId: big, role: 'worker' }];
          else body[field] = big;
          const res = await api.call({ method: 'POST', url: '/v1/clusters', payload: body });
          expectRejected(res, { field, size });
          if (size > 70_000) expect(res.statusCode).toBe(413);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('POST /v1/hosts/register with a hostile field is a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(badRegistration, async (body) => {
        const res = await api.call({ method: 'POST', url: '/v1/hosts/register', payload: body });
        expectRejected(res, body);
      }),
      { numRuns: RUNS },
    );
  });

  it('hostile path parameters and bodies on every cluster route are 4xx', async () => {
    const routes = fc.constantFrom(
      ['GET', '/v1/clusters/%s'],
      ['PATCH', '/v1/clusters/%s'],
      ['DELETE', '/v1/clusters/%s'],
      ['POST', '/v1/clusters/%s/hosts'],
      ['DELETE', '/v1/clusters/%s/hosts/%s'],
      ['GET', '/v1/clusters/%s/events'],
      ['GET', '/v1/hosts/%s'],
    );
    await fc.assert(
      fc.asyncProperty(
        routes,
        hostile,
        fc.oneof(
          fc.jsonValue(),
          corruption.map((c) => c({ name: 'fzx', hosts: [{ hostId: 'fzhx', role: 'worker' }] })),
        ),
        async ([m, path], bad, body) => {
          const url = path.replaceAll('%s', encodeURIComponent(bad));
          const method = m as 'GET' | 'PATCH' | 'DELETE' | 'POST';
          const withBody = method === 'PATCH' || method === 'POST';
          const res = await api.call({
            method,
            url,
            ...(withBody ? { payload: JSON.stringify(body) } : {}),
            headers: withBody ? { 'content-type': 'application/json' } : {},
          });
          expectRejected(res, { url, body });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('started no workflow: no cluster id exists and visibility shows none since the test began', async () => {
    const found: string[] = [];
    for (const name of attemptedNames) {
      try {
        await api.client.workflow.getHandle(`cluster/${name}`).describe();
        found.push(name);
      } catch (err) {
        expect((err as Error).name).toBe('WorkflowNotFoundError');
      }
    }
    expect(found).toEqual([]);
    expect(attemptedNames.size).toBeGreaterThan(50);
    const since = startedAt.toISOString();
    const query = `StartTime >= '${since}' AND TaskQueue = '${taskQueue}'`;
    // Visibility is eventually consistent: wait until it shows the one workflow we know was started.
    let started: string[] = [];
    for (let i = 0; i < 100 && !started.includes(`host/${underlayHost}`); i++) {
      await new Promise((r) => setTimeout(r, 200));
      started = [];
      for await (const wf of api.client.workflow.list({ query })) started.push(wf.workflowId);
    }
    // The one host registered in beforeAll is the only workflow the whole run may have started.
    expect(started).toEqual([`host/${underlayHost}`]);
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    console.log('fuzz status counts', Object.fromEntries(statuses));
  });
});
