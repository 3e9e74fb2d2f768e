// Builds the API on a real Temporal client for `inject` tests and closes both when done.
import type { Client } from '@temporalio/client';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { testClient } from '../helpers/temporal.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';
export const UI_BASE = 'http://ui.example.test:8233';
export const auth = { authorization: `Bearer ${TEST_TOKEN}` };

export interface TestApi {
  app: FastifyInstance;
  client: Client;
  /** inject with the bearer token already set. */
  call(opts: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function buildTestApi(
  opts: { taskQueue?: string; client?: Client; temporalTimeoutMs?: number } = {},
): Promise<TestApi> {
  const own = opts.client ? null : await testClient();
  const client = opts.client ?? own!.client;
  const app = await buildApp({
    client,
    log: pino({ level: 'silent' }),
    token: TEST_TOKEN,
    uiBaseUrl: UI_BASE,
    namespace: 'default',
    ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
    ...(opts.temporalTimeoutMs ? { temporalTimeoutMs: opts.temporalTimeoutMs } : {}),
  });
  await app.ready();
  return {
    app,
    client,
    call: (o) => app.inject({ ...o, headers: { ...auth, ...(o.headers ?? {}) } }),
    async close() {
      await app.close();
      await own?.close();
    },
  };
}

/** Asserts an RFC 9457 body and returns it. */
export function problemOf(res: LightMyRequestResponse) {
  const body = res.json() as {
    type: string;
    title: string;
    status: number;
    detail: string;
    errors?: Array<{ field: string; message: string }>;
  };
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected problem+json, got ${res.headers['content-type']}: ${res.body}`);
  }
  if (body.status !== res.statusCode || !body.type || !body.title || typeof body.detail !== 'string') {
    throw new Error(`malformed problem: ${res.body}`);
  }
  return body;
}
