// Child process of `npm run bench:api`: the fake agents (bench/fake-agents.ts), so that answering the
// control plane's host commands never shares an event loop with the load generator that times the API.
// Each host enrolls as a real agent does (an admin join token, then POST /v1/hosts/enroll with a CSR from
// its own key: the registry records its public key, which every peer table carries), then opens its
// channel to the broker the API named.
// Protocol: JSON lines. stdout `{"ready":true}` once; stdin `{"id":N,"start":[{hostId,underlayIp}]}` →
// stdout `{"progress":{done,total}}` lines, then `{"id":N,"started":…}`; stdin `{"id":N,"stats":true}` → `{"id":N,"commands":{kind: count}}`.
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

/** Tries to enroll again after an answer a real agent retries (no answer, 5xx: a loaded dev server). */
const ENROLL_ATTEMPTS = 3;
const retryable = (status: number) => status === 0 || status >= 500;

/** One try: join token, key, CSR, enrollment (token and enroll are timed API calls). */
async function enrollOnce(hostId: string, t0: number) {
  const token = await timedRequest(target, 'POST', '/v1/hosts/join-tokens', { hostId }, t0);
  const joinToken = (token.body as { token?: string } | null)?.token;
  if (!joinToken) {
    const error = `join token: ${token.status} ${token.error ?? ''}`;
    return { token, enroll: null, identity: null, error, again: retryable(token.status) };
  }
  const { privateKeyPem } = generateHostKey();
  const csr = await createCsr(hostId, privateKeyPem);
  const start = performance.now();
  const sample = (status: number, error?: string): Sample => ({
    status,
    ms: performance.now() - start,
    bytes: 0,
    at: start - t0,
    body: null,
    ...(error ? { error } : {}),
  });
  try {
    const answer = await requestCertificate({ apiUrl, hostId, joinToken, csr });
    const identity = {
      hostId,
      brokerUrl: answer.broker,
      caPem: answer.caCertificate,
      certPem: answer.certificate,
      privateKeyPem,
    };
    return { token, enroll: sample(200), identity, error: null, again: false };
  } catch (err) {
    const status = (err as { status?: number }).status ?? 0;
    const error = `enroll: ${String(err)}`;
    return { token, enroll: sample(status, error), identity: null, error, again: retryable(status) };
  }
}

/** Enrolls (retrying as an agent does), then opens the host's channel. Every try's samples are kept. */
async function enrollAndStart(hostId: string, underlayIp: string, t0: number) {
  const tokens: Sample[] = [];
  const enrolls: Sample[] = [];
  for (let attempt = 1; ; attempt++) {
    const r = await enrollOnce(hostId, t0);
    tokens.push(r.token);
    if (r.enroll) enrolls.push(r.enroll);
    if (r.identity) {
      const error = await fleet.start(r.identity, underlayIp).then(
        () => null,
        (err: unknown) => `connect: ${String(err)}`,
      );
      return { tokens, enrolls, error, attempts: attempt };
    }
    if (!r.again || attempt >= ENROLL_ATTEMPTS) return { tokens, enrolls, error: r.error, attempts: attempt };
    await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
  }
}

async function startHosts(hosts: Array<{ hostId: string; underlayIp: string }>, concurrency: number) {
  const t0 = performance.now();
  const step = Math.max(1, Math.ceil(hosts.length / 10));
  let done = 0;
  const results = await pool(hosts, concurrency, async (h) => {
    const r = await enrollAndStart(h.hostId, h.underlayIp, t0);
    // every 10 %: the parent logs it (thousands of enrollments take minutes on a loaded machine)
    if (++done % step === 0 && done < hosts.length) send({ progress: { done, total: hosts.length } });
    return r;
  });
  const wallMs = performance.now() - t0;
  const failed = results.flatMap((r, i) => (r.error ? [{ hostId: hosts[i]!.hostId, error: r.error }] : []));
  const { failureExamples: _t, ...joinToken } = latencyStats(results.flatMap((r) => r.tokens));
  const { failureExamples: _e, ...enroll } = latencyStats(results.flatMap((r) => r.enrolls));
  return {
    hosts: hosts.length,
    concurrency,
    started: hosts.length - failed.length,
    running: fleet.size,
    totalMs: Math.round(wallMs),
    perSecond: Math.round((hosts.length * 10_000) / wallMs) / 10,
    joinToken,
    enroll,
    /** Hosts that needed more than one try to enroll (each failed try is in the latency's failures). */
    retried: results.filter((r) => r.attempts > 1).length,
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
