// The API with a real product CA (revocations recorded), a control worker running hostWorkflow on the
// real dev server, and every log line captured so tests can prove no secret reaches a log.
import type { Client } from '@temporalio/client';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createControlActivities } from '../../src/activities/control/index.js';
import { buildApp } from '../../src/api/app.js';
import { hostWorkflowId } from '../../src/domain/ids.js';
import { ProductCa } from '../../src/pki/ca.js';
import { createCsr, generateHostKey } from '../../src/pki/csr.js';
import { runningWorker, testClient, uniqueTaskQueue } from '../helpers/temporal.js';
import { auth } from './helper.js';

export const BROKER_URL = 'mqtts://127.0.0.1:8883';
export const hid = (name: string) => `${name}-${randomUUID().slice(0, 6)}`;

export interface IdentityApi {
  app: FastifyInstance;
  client: Client;
  ca: ProductCa;
  taskQueue: string;
  /** Serials revoke() was called with, in order. */
  revoked: string[];
  /** Makes the next revoke() calls fail (true) or succeed again (false). */
  failRevoke(fail: boolean): void;
  /** Everything the API logged, at trace level. */
  logs(): string;
  /** inject with the admin bearer token. */
  admin(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** inject with no Authorization header at all (what an agent does). */
  anonymous(opts: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function buildIdentityApi(): Promise<IdentityApi> {
  const tc = await testClient();
  const taskQueue = uniqueTaskQueue('identity');
  const ca = await ProductCa.create();
  const revoked: string[] = [];
  let failing = false;
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const app = await buildApp({
    client: tc.client,
    log: pino({ level: 'trace' }, sink),
    token: auth.authorization.slice('Bearer '.length),
    uiBaseUrl: null,
    namespace: 'default',
    taskQueue,
    pki: {
      ca,
      brokerUrl: BROKER_URL,
      async revoke(serial) {
        if (failing) throw new Error('revocation list not writable');
        revoked.push(serial);
      },
    },
  });
  await app.ready();
  const worker = await runningWorker({
    taskQueue,
    activities: createControlActivities({ client: tc.client }),
  });
  return {
    app,
    client: tc.client,
    ca,
    taskQueue,
    revoked,
    failRevoke: (fail) => {
      failing = fail;
    },
    logs: () => chunks.join(''),
    admin: (o) => app.inject({ ...o, headers: { ...auth, ...(o.headers ?? {}) } }),
    anonymous: (o) => app.inject(o),
    async close() {
      await app.close();
      await worker.stop();
      await tc.close();
    },
  };
}

/** A host's own key and a CSR for CN=hostId (or another CN, to test refusals). */
export async function hostCsr(
  cn: string,
): Promise<{ csr: string; privateKeyPem: string; publicKey: string }> {
  const key = generateHostKey();
  return { ...key, csr: await createCsr(cn, key.privateKeyPem) };
}

export const issueToken = (api: IdentityApi, hostId: string, ttlSeconds?: number) =>
  api.admin({
    method: 'POST',
    url: '/v1/hosts/join-tokens',
    payload: ttlSeconds === undefined ? { hostId } : { hostId, ttlSeconds },
  });

export const enroll = (api: IdentityApi, body: Record<string, unknown>) =>
  api.anonymous({ method: 'POST', url: '/v1/hosts/enroll', payload: body });

/** The host workflow's history (every run) as text, payloads decoded, for scanning for secrets. */
export async function historyText(client: Client, hostId: string): Promise<string> {
  const runs: string[] = [];
  let runId: string | undefined;
  for (let i = 0; i < 50; i++) {
    const h = client.workflow.getHandle(hostWorkflowId(hostId), runId);
    const history = await h.fetchHistory();
    runs.push(JSON.stringify(history, decodeBytes));
    const first = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    runId = first?.continuedExecutionRunId ?? undefined;
    if (!runId) break;
  }
  return runs.join('\n');
}

function decodeBytes(key: string, value: unknown): unknown {
  // fetchHistory gives payload bytes as base64 strings (proto JSON); older paths give raw bytes.
  if (key === 'data' && typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  const v = value as { type?: unknown; data?: unknown } | null;
  if (v && v.type === 'Buffer' && Array.isArray(v.data))
    return Buffer.from(v.data as number[]).toString('utf8');
  return value;
}
