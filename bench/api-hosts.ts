// Hosts, names and helpers shared by the phases of `npm run bench:api` (bench/api-run.ts, bench/api-big.ts).
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { type HttpTarget, phaseStats, pool, type Sample, timed, timedRequest } from './api-http.js';

export interface HostSpec {
  hostId: string;
  role: 'control-plane' | 'worker';
}

export interface BenchHost {
  hostId: string;
  underlayIp: string;
}

/** Hosts per /24 of the benchmark's underlay (the agents report prefix length 24). */
const PER_SUBNET = 250;

/**
 * Every cluster is a site of its own: its hosts fill /24s no other cluster uses, in 10.0.0.0/8 (never
 * inside an overlay CIDR of 100.64.0.0/10). Clusters sharing an underlay subnet with the same overlay and
 * VNI are refused (409, src/api/overlay-conflicts.ts), as they would merge on a real L2.
 */
function siteHosts(ids: string[], firstSubnet: number): BenchHost[] {
  return ids.map((hostId, k) => {
    const subnet = firstSubnet + Math.floor(k / PER_SUBNET);
    const ip = `10.${1 + Math.floor(subnet / 250)}.${subnet % 250}.${1 + (k % PER_SUBNET)}`;
    return { hostId, underlayIp: ip };
  });
}

const subnetsPerSite = (hosts: number) => Math.ceil(hosts / PER_SUBNET);

/** The hosts of small cluster `c`, on its own site. */
export const smallClusterHosts = (c: number, per: number): BenchHost[] =>
  siteHosts(
    Array.from({ length: per }, (_, k) => smallHostId(c * per + k)),
    c * subnetsPerSite(per),
  );

/** The big cluster's hosts, on a site after every small cluster's. */
export const bigClusterHosts = (clusters: number, per: number, big: number): BenchHost[] =>
  siteHosts(
    Array.from({ length: big }, (_, i) => bigHostId(i)),
    clusters * subnetsPerSite(per),
  );

/** The smallest overlay CIDR in 100.64.0.0/10 that holds the VIP and `hosts` hosts. */
export function overlayCidrFor(hosts: number): string {
  const bits = Math.max(2, Math.ceil(Math.log2(hosts + 3)));
  return `100.64.0.0/${32 - bits}`;
}

export const smallHostId = (n: number) => `h-${n}`;
export const bigHostId = (n: number) => `big-${n}`;
export const clusterName = (c: number) => `c-${c}`;
export const BIG_CLUSTER = 'big';

/** The first host of each cluster (the first three of a big one) is control-plane, the rest workers. */
export const specs = (ids: string[]): HostSpec[] =>
  ids.map((hostId, i) => ({
    hostId,
    role: i < Math.min(3, Math.ceil(ids.length / 2)) ? 'control-plane' : 'worker',
  }));

export const isOk = (s: Sample) => s.status >= 200 && s.status < 300;

/** Passes samples through and logs every 10 % of `total` (long phases take minutes at full size). */
export function progress(log: Logger, what: string, total: number): (s: Sample) => Sample {
  let done = 0;
  let failed = 0;
  const step = Math.max(1, Math.ceil(total / 10));
  return (s) => {
    done++;
    if (!isOk(s)) failed++;
    if (done % step === 0 && done < total) log.info({ what, done, total, failed }, 'progress');
    return s;
  };
}

export const round = (x: number) => Math.round(x * 10) / 10;

export async function registerAll(target: HttpTarget, hosts: BenchHost[], concurrency: number, log: Logger) {
  const ids = hosts.map((h) => h.hostId);
  const t0 = performance.now();
  const tick = progress(log, 'register', ids.length);
  const register = (i: number) =>
    timedRequest(
      target,
      'POST',
      '/v1/hosts/register',
      { hostId: ids[i], underlayIp: hosts[i]!.underlayIp, underlayIface: 'eth0' },
      t0,
    );
  const { result, wallMs } = await timed(() => pool(ids, concurrency, (_, i) => register(i).then(tick)));
  // Registration is idempotent: a failed one (503 under load) is retried, outside the measurement, so
  // that a create is not refused for a host the benchmark meant to register.
  let failed = result.flatMap((s, i) => (isOk(s) ? [] : [i]));
  const retried = failed.length;
  for (let round = 0; round < 3 && failed.length > 0; round++) {
    const again = await pool(failed, concurrency, (i) => register(i));
    failed = failed.filter((_, k) => !isOk(again[k]!));
  }
  if (failed.length) log.warn({ hosts: failed.map((i) => ids[i]) }, 'hosts still not registered');
  return {
    hosts: ids.length,
    concurrency,
    ...phaseStats(result, wallMs),
    retried,
    notRegistered: failed.length,
  };
}

/** Hosts listed and their states in a cluster view (the first GET must list every requested host). */
export function viewSummary(body: unknown): {
  hosts: number;
  states: Record<string, number>;
  phase: string | null;
} {
  const view = body as { hosts?: Array<{ state?: string }>; phase?: string } | null;
  const states: Record<string, number> = {};
  for (const h of view?.hosts ?? []) states[h.state ?? '?'] = (states[h.state ?? '?'] ?? 0) + 1;
  return { hosts: view?.hosts?.length ?? 0, states, phase: view?.phase ?? null };
}
