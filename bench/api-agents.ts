// Child process of `npm run bench:api`: the fake agents (bench/fake-agents.ts), so that answering the
// control plane's host commands never shares an event loop with the load generator that times the API.
// Each host enrolls as a real agent does (an admin join token, then POST /v1/hosts/enroll with a CSR from
// its own key: the registry records its public key, which every peer table carries), then opens its
// channel to the broker the API named.
// Protocol: JSON lines. stdout `{"ready":true}` once; stdin `{"id":N,"start":[{hostId,underlayIp}]}` →
// stdout `{"id":N,"started":…}`; stdin `{"id":N,"stats":true}` → `{"id":N,"commands":{kind: count}}`.
// Stops (agents offline, sessions kept) on SIGTERM/SIGINT or when stdin closes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { z } from 'zod';
import { requestCertificate } from '../src/agent/identity/enroll.js';
import { createCsr, generateHostKey } from '../src/pki/csr.js';
import { AGENTS_ENV } from './api-fleet.js';
import { type HttpTarget, latencyStats, pool, type Sample, timedRequest } from './api-http.js';
import { FakeAgentFleet } from './fake-agents.js';

const requestSchema = z.union([
  z.object({
    id: z.number().int(),
    start: z.array(z.object({ hostId: z.string(), underlayIp: z.string() })),
    concurrency: z.number().int().min(1).max(256).default(16),
  }),
  z.object({ id: z.number().int(), stats: z.literal(true) }),
]);

const env = (k: keyof typeof AGENTS_ENV) => process.env[AGENTS_ENV[k]];
const log = pino({ name: 'bench-agents', level: env('logLevel') ?? 'warn' }, pino.destination(2));
const target: HttpTarget = { baseUrl: env('apiUrl') ?? '', token: env('token') ?? '', timeoutMs: 60_000 };
if (!target.baseUrl || !target.token)
  throw new Error(`${AGENTS_ENV.apiUrl} and ${AGENTS_ENV.token} are required`);
const apiUrl = target.baseUrl;
const dir = mkdtempSync(join(tmpdir(), 'eo-bench-agents-'));
const fleet = new FakeAgentFleet({ stateRoot: dir, log, connectTimeoutMs: 60_000 });
const send = (msg: unknown) => process.stdout.write(`${JSON.stringify(msg)}\n`);

/** Join token, key, CSR, enrollment (timed: token and enroll are API calls), then the channel. */
async function enrollAndStart(hostId: string, underlayIp: string, t0: number) {
  const token = await timedRequest(target, 'POST', '/v1/hosts/join-tokens', { hostId }, t0);
  const joinToken = (token.body as { token?: string } | null)?.token;
  if (!joinToken) return { token, enroll: null, error: `join token: ${token.status} ${token.error ?? ''}` };
  const { privateKeyPem } = generateHostKey();
  const csr = await createCsr(hostId, privateKeyPem);
  const start = performance.now();
  let enroll: Sample;
  let answer: Awaited<ReturnType<typeof requestCertificate>>;
  try {
    answer = await requestCertificate({ apiUrl, hostId, joinToken, csr });
    enroll = { status: 200, ms: performance.now() - start, bytes: 0, at: start - t0, body: null };
  } catch (err) {
    const status = (err as { status?: number }).status ?? 0;
    const s = {
      status,
      ms: performance.now() - start,
      bytes: 0,
      at: start - t0,
      body: null,
      error: String(err),
    };
    return { token, enroll: s, error: `enroll: ${String(err)}` };
  }
  const identity = {
    hostId,
    brokerUrl: answer.broker,
    caPem: answer.caCertificate,
    certPem: answer.certificate,
    privateKeyPem,
  };
  const error = await fleet.start(identity, underlayIp).then(
    () => undefined,
    (err: unknown) => `connect: ${String(err)}`,
  );
  return { token, enroll, error };
}

async function startHosts(hosts: Array<{ hostId: string; underlayIp: string }>, concurrency: number) {
  const t0 = performance.now();
  const results = await pool(hosts, concurrency, (h) => enrollAndStart(h.hostId, h.underlayIp, t0));
  const wallMs = performance.now() - t0;
  const failed = results.flatMap((r, i) => (r.error ? [{ hostId: hosts[i]!.hostId, error: r.error }] : []));
  const { failureExamples: _t, ...joinToken } = latencyStats(results.map((r) => r.token));
  const { failureExamples: _e, ...enroll } = latencyStats(
    results.flatMap((r) => (r.enroll ? [r.enroll] : [])),
  );
  return {
    hosts: hosts.length,
    concurrency,
    started: hosts.length - failed.length,
    running: fleet.size,
    totalMs: Math.round(wallMs),
    perSecond: Math.round((hosts.length * 10_000) / wallMs) / 10,
    joinToken,
    enroll,
    failed: failed.slice(0, 5),
    failedCount: failed.length,
  };
}

let stopping: Promise<void> | null = null;
const stop = (why: string) => {
  stopping ??= (async () => {
    log.info({ why, agents: fleet.size }, 'stopping the fake agents');
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  })();
  return stopping;
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
const lines = createInterface({ input: process.stdin });
lines.on('close', () => void stop('parent gone'));
lines.on('line', (line) => {
  const req = requestSchema.safeParse(JSON.parse(line));
  if (!req.success) return log.error({ line: line.slice(0, 200) }, 'bad request');
  const r = req.data;
  if ('stats' in r) return send({ id: r.id, commands: fleet.commandCounts(), agents: fleet.size });
  startHosts(r.start, r.concurrency).then(
    (started) => send({ id: r.id, ...started }),
    (err: unknown) => send({ id: r.id, error: String(err) }),
  );
});
send({ ready: true });
