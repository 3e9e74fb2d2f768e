// HTTP plumbing of `npm run bench:api`: timed requests to the API on 127.0.0.1, a bounded pool of
// concurrent clients, and latency statistics. Nothing here knows the API's routes.
import { performance } from 'node:perf_hooks';
import { retryAfterSeconds } from '../src/cli/api-client.js';

export interface Sample {
  /** HTTP status, or 0 when the request failed without an answer (timeout, connection refused). */
  status: number;
  ms: number;
  bytes: number;
  /** When the request started, ms since the phase began (for "at any moment" checks). */
  at: number;
  body: unknown;
  /** Transport error or the problem+json `detail` of a non-2xx answer. */
  error?: string;
  /** The answer's Retry-After (seconds): the API asks for the same request again. */
  retryAfterS?: number;
}

export interface HttpTarget {
  baseUrl: string;
  token: string;
  /** Per-request timeout. */
  timeoutMs: number;
}

/** One request over real HTTP; never throws (failures are samples with their status or 0). */
export async function timedRequest(
  target: HttpTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  t0 = performance.now(),
): Promise<Sample> {
  const start = performance.now();
  const at = start - t0;
  try {
    const res = await fetch(`${target.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(target.timeoutMs),
    });
    const text = await res.text();
    const ms = performance.now() - start;
    const parsed = parseJson(text);
    const sample: Sample = { status: res.status, ms, bytes: Buffer.byteLength(text), at, body: parsed };
    if (!res.ok) sample.error = problemDetail(parsed) ?? text.slice(0, 200);
    const retryAfterS = retryAfterSeconds(res.headers);
    if (retryAfterS !== undefined) sample.retryAfterS = retryAfterS;
    return sample;
  } catch (err) {
    return { status: 0, ms: performance.now() - start, bytes: 0, at, body: null, error: String(err) };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function problemDetail(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const detail = (body as { detail?: unknown }).detail;
  return typeof detail === 'string' ? detail.slice(0, 300) : undefined;
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results in item order. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const client = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, client));
  return out;
}

/** `clients` closed-loop clients each repeating `fn` until `durationMs` has passed. */
export async function repeatFor<R>(clients: number, durationMs: number, fn: () => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  const until = performance.now() + durationMs;
  const client = async () => {
    while (performance.now() < until) out.push(await fn());
  };
  await Promise.all(Array.from({ length: clients }, client));
  return out;
}

export const round = (x: number) => Math.round(x * 10) / 10;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface LatencyStats {
  requests: number;
  ok: number;
  /** HTTP status (0 = no answer) → count, for every non-2xx answer. */
  failures: Record<string, number>;
  /** Up to three distinct failure messages, to say why without a log file. */
  failureExamples: string[];
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Latencies over every sample (failures included: a 503 after 15 s is a slow answer too). */
export function latencyStats(samples: readonly Sample[]): LatencyStats {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const failures: Record<string, number> = {};
  const examples = new Set<string>();
  for (const s of samples) {
    if (s.status >= 200 && s.status < 300) continue;
    failures[String(s.status)] = (failures[String(s.status)] ?? 0) + 1;
    if (examples.size < 3) examples.add(`${s.status}: ${s.error ?? ''}`.slice(0, 300));
  }
  const ok = samples.length - Object.values(failures).reduce((a, b) => a + b, 0);
  return {
    requests: samples.length,
    ok,
    failures,
    failureExamples: [...examples],
    p50Ms: round(percentile(ms, 50)),
    p90Ms: round(percentile(ms, 90)),
    p99Ms: round(percentile(ms, 99)),
    maxMs: round(ms.at(-1) ?? 0),
    meanMs: round(ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : 0),
  };
}

/** Latency stats plus wall time and throughput of a phase. */
export function phaseStats(samples: readonly Sample[], wallMs: number) {
  return {
    ...latencyStats(samples),
    totalMs: round(wallMs),
    perSecond: round(wallMs > 0 ? (samples.length * 1000) / wallMs : 0),
  };
}

/** Times an async phase: its result and its wall time in ms. */
export async function timed<R>(fn: () => Promise<R>): Promise<{ result: R; wallMs: number }> {
  const start = performance.now();
  const result = await fn();
  return { result, wallMs: performance.now() - start };
}
