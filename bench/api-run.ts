// The measurements of `npm run bench:api`, over real HTTP against a running API (bench/api-stack.ts):
// 1. POST /v1/hosts/register for clusters × hostsPerCluster hosts,
// 2. POST /v1/clusters for every small cluster (each create claims its hosts before it answers),
// 3. GET /v1/clusters/:name for each of them,
// 4. one big cluster (bench/api-big.ts).
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { BenchConfig } from './api-config.js';
import { bigCluster } from './api-big.js';
import { type HttpTarget, percentile, phaseStats, pool, timed, timedRequest } from './api-http.js';
import { clusterName, isOk, progress, registerAll, smallHostId, specs, viewSummary } from './api-hosts.js';

async function smallClusters(target: HttpTarget, cfg: BenchConfig, log: Logger) {
  const { clusters, hostsPerCluster: per, concurrency } = cfg;
  const names = Array.from({ length: clusters }, (_, c) => clusterName(c));
  const hostsOf = (c: number) => Array.from({ length: per }, (_, k) => smallHostId(c * per + k));

  log.info({ hosts: clusters * per }, 'registering hosts');
  const register = await registerAll(
    target,
    Array.from({ length: clusters * per }, (_, n) => smallHostId(n)),
    0,
    concurrency,
    log,
  );

  log.info({ clusters }, 'creating clusters');
  const tick = progress(log, 'create', clusters);
  const t1 = performance.now();
  const created = await timed(() =>
    pool(names, concurrency, (name, c) =>
      timedRequest(target, 'POST', '/v1/clusters', { name, hosts: specs(hostsOf(c)) }, t1).then(tick),
    ),
  );

  log.info({ clusters }, 'reading clusters');
  const t2 = performance.now();
  const got = await timed(() =>
    pool(names, concurrency, (name) => timedRequest(target, 'GET', `/v1/clusters/${name}`, undefined, t2)),
  );
  const complete = got.result.filter((s) => isOk(s) && viewSummary(s.body).hosts === per).length;
  const bytes = got.result.filter(isOk).map((s) => s.bytes);
  return {
    clusters,
    hostsPerCluster: per,
    register,
    create: { concurrency, ...phaseStats(created.result, created.wallMs) },
    get: {
      concurrency,
      ...phaseStats(got.result, got.wallMs),
      everyHostListed: complete === clusters,
      responseBytesP50: percentile(
        bytes.sort((a, b) => a - b),
        50,
      ),
    },
  };
}

export type ApiBenchResult = Awaited<ReturnType<typeof runApiBench>>;

/** `temporalAddress`: the Temporal frontend, to say how the big cluster's workflow ended (optional). */
export async function runApiBench(
  target: HttpTarget,
  cfg: BenchConfig,
  log: Logger,
  temporalAddress: string | null = null,
) {
  const startedAt = new Date().toISOString();
  const small = await smallClusters(target, cfg, log);
  const big = cfg.big > 0 ? await bigCluster(target, cfg, log, temporalAddress) : null;
  // Issue 11 point 5 in one place: the big cluster is created, and every GET of it answered within 1 s.
  const goal = big && {
    bigCreateStatus: big.create.status,
    bigCreateMs: big.create.ms,
    bigAdmittedAfterS: big.admittedAfterS,
    bigWorkflowStatus: big.workflow?.status ?? null,
    bigGetMaxMs: big.get.maxMs,
    bigGetWithinBudgetAtAnyMoment: big.get.allWithinBudget,
  };
  return { benchmark: 'api', startedAt, config: cfg, goal, small, big };
}
