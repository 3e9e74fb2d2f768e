// The measurements of `npm run bench:api`, over real HTTP against a running API (bench/api-stack.ts):
// 1. POST /v1/hosts/register for clusters × hostsPerCluster hosts,
//    then (not timed as API latency) a fake agent per host enrolls and connects (bench/api-settle.ts),
// 2. POST /v1/clusters for every small cluster (each create claims its hosts before it answers),
// 3. GET /v1/clusters/:name for each of them (while their hosts join: the agents answer every command),
//    then (not timed) every small cluster is read until Ready,
// 4. one big cluster (bench/api-big.ts).
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { BenchConfig } from './api-config.js';
import { bigCluster } from './api-big.js';
import { clientOutcomes, createAsClient } from './api-create-retry.js';
import type { AgentFleet } from './api-fleet.js';
import { type HttpTarget, percentile, phaseStats, pool, timed, timedRequest } from './api-http.js';
import {
  clusterName,
  isOk,
  progress,
  registerAll,
  smallClusterHosts,
  specs,
  viewSummary,
} from './api-hosts.js';
import { startAgents, waitReady } from './api-settle.js';

export interface RunOptions {
  /** The Temporal frontend, to say how the big cluster's workflow ended (null: not asked). */
  temporalAddress: string | null;
  /** The fake agents (null: no host answers, as with --no-agents). */
  agents: AgentFleet | null;
  /** Each part's result as soon as it is measured (a run stopped half way still says what it saw). */
  onPart?: (part: 'small' | 'big', result: unknown) => void;
}

async function smallClusters(target: HttpTarget, cfg: BenchConfig, log: Logger, run: RunOptions) {
  const { agents } = run;
  const { clusters, hostsPerCluster: per, concurrency } = cfg;
  const names = Array.from({ length: clusters }, (_, c) => clusterName(c));
  const sites = names.map((_, c) => smallClusterHosts(c, per));
  const hostsOf = (c: number) => sites[c]!.map((h) => h.hostId);

  log.info({ hosts: clusters * per }, 'registering hosts');
  const hosts = sites.flat();
  const register = await registerAll(target, hosts, concurrency, log);
  run.onPart?.('small', { register });
  const agentsStarted = agents ? await startAgents(agents, target, hosts, concurrency, log) : null;
  run.onPart?.('small', { register, agents: agentsStarted });

  log.info({ clusters }, 'creating clusters');
  const tick = progress(log, 'create', clusters);
  const t1 = performance.now();
  const created = await timed(() =>
    pool(names, concurrency, (name, c) =>
      createAsClient(target, { name, hosts: specs(hostsOf(c)) }, t1).then((o) => {
        tick(o.final);
        return o;
      }),
    ),
  );
  const firstAnswers = created.result.map((o) => o.first);

  log.info({ clusters }, 'reading clusters');
  const t2 = performance.now();
  const got = await timed(() =>
    pool(names, concurrency, (name) => timedRequest(target, 'GET', `/v1/clusters/${name}`, undefined, t2)),
  );
  const complete = got.result.filter((s) => isOk(s) && viewSummary(s.body).hosts === per).length;
  const bytes = got.result.filter(isOk).map((s) => s.bytes);
  const measured = {
    clusters,
    hostsPerCluster: per,
    register,
    agents: agentsStarted,
    // The first answer to each create (how the API answers under load), then what a client that asks again
    // when told to (503 + Retry-After, as the CLI does) ended up with.
    create: {
      concurrency,
      ...phaseStats(firstAnswers, created.wallMs),
      asClient: clientOutcomes(created.result),
    },
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
  run.onPart?.('small', measured);
  const unconfirmed = new Set(names.filter((_, c) => created.result[c]!.final.status !== 202));
  const ready = agents
    ? await waitReady(target, names, concurrency, log, cfg.readyWait, t1, unconfirmed)
    : null;
  return { ...measured, ready };
}

export type ApiBenchResult = Awaited<ReturnType<typeof runApiBench>>;

export async function runApiBench(target: HttpTarget, cfg: BenchConfig, log: Logger, run: RunOptions) {
  const startedAt = new Date().toISOString();
  const small = await smallClusters(target, cfg, log, run);
  run.onPart?.('small', small);
  const big = cfg.big > 0 ? await bigCluster(target, cfg, log, run) : null;
  run.onPart?.('big', big);
  // What the control plane asked of the hosts over the broker, in total.
  const hostCommands = run.agents ? await run.agents.commands() : null;
  // Issue 11 point 5 in one place: the big cluster is created, and every GET of it answered within 1 s.
  const goal = big && {
    bigCreateStatus: big.create.status,
    bigCreateMs: big.create.ms,
    bigAdmittedAfterS: big.admittedAfterS,
    bigWorkflowStatus: big.workflow?.status ?? null,
    bigGetMaxMs: big.get.maxMs,
    bigGetWithinBudgetAtAnyMoment: big.get.allWithinBudget,
    bigReadyAfterS: big.readyAfterS,
  };
  return { benchmark: 'api', startedAt, config: cfg, goal, small, big, hostCommands };
}
