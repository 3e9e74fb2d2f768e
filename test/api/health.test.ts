// GET /healthz with a broker check (the v2 control plane): both parts named in the 200, a 503
// problem+json that says which part is down, the broker asked at most once a second, no token needed.
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { BROKER_CHECK_CACHE_MS, BROKER_UNAVAILABLE, cachedCheck } from '../../src/api/routes/health.js';
import { testClient } from '../helpers/temporal.js';
import { problemOf, TEST_TOKEN } from './helper.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /healthz with a broker check', () => {
  let tc: Awaited<ReturnType<typeof testClient>>;
  let app: FastifyInstance;
  let brokerUp = true;
  let brokerCalls = 0;

  beforeAll(async () => {
    tc = await testClient();
    app = await buildApp({
      client: tc.client,
      log: pino({ level: 'silent' }),
      token: TEST_TOKEN,
      uiBaseUrl: null,
      namespace: 'default',
      brokerHealthy: async () => {
        brokerCalls += 1;
        return brokerUp;
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await tc?.close();
  });

  it('is 200 naming both parts when Temporal and the broker answer, without a token', async () => {
    brokerUp = true;
    await sleep(BROKER_CHECK_CACHE_MS);
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', temporal: 'ok', broker: 'ok' });
  });

  it('is a 503 problem naming the broker when only the broker is down', async () => {
    brokerUp = false;
    await sleep(BROKER_CHECK_CACHE_MS);
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    const p = problemOf(res);
    expect(p.type).toBe(BROKER_UNAVAILABLE);
    expect(p.detail).toBe('the broker is not reachable');
  });

  it('asks the broker at most once per cache period however often it is polled', async () => {
    brokerUp = true;
    await sleep(BROKER_CHECK_CACHE_MS);
    const before = brokerCalls;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => app.inject({ method: 'GET', url: '/healthz' })),
    );
    expect(answers.every((r) => r.statusCode === 200)).toBe(true);
    expect(brokerCalls - before).toBe(1);
  });

  it('names both when Temporal and the broker are down', async () => {
    const connection = await Connection.lazy({ address: '127.0.0.1:1' });
    const down = await buildApp({
      client: new Client({ connection }),
      log: pino({ level: 'silent' }),
      token: TEST_TOKEN,
      uiBaseUrl: null,
      namespace: 'default',
      brokerHealthy: async () => {
        throw new Error('connection refused');
      },
    });
    try {
      const res = await down.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(503);
      expect(problemOf(res).detail).toBe('Temporal and the broker are not reachable');
    } finally {
      await down.close();
      await connection.close();
    }
  });
});

describe('cachedCheck', () => {
  it('reuses one answer within the period, asks again after it, and turns a hang into false', async () => {
    let calls = 0;
    const check = cachedCheck(async () => {
      calls += 1;
      return calls === 1;
    }, 200);
    expect(await check()).toBe(true);
    expect(await check()).toBe(true);
    expect(calls).toBe(1);
    await sleep(210);
    expect(await check()).toBe(false);
    expect(calls).toBe(2);

    const hung = cachedCheck(() => new Promise<boolean>(() => undefined), 0);
    const started = Date.now();
    expect(await hung()).toBe(false);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
