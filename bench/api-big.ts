// Part 4 of `npm run bench:api`: one big cluster, read "at any moment". Its hosts are registered, then
// `bigClients` clients GET it in a closed loop from the moment its create is sent:
// - `duringCreate`: before the create answered (404 is right while the API still checks the hosts),
// - `admitting`: after a create that did not answer 202 (e.g. a 503 at the API deadline) while the view
//   still shows Pending hosts: the workflow runs and is still claiming them,
// - `joining`: from the first view without a Pending host until the cluster is Ready with every host
//   Joined (the fake agents answer every command; at least `duration` s, at most `readyWait` s; without
//   agents, `duration` s of joins that never finish),
// - `ready`: after that, until `duration` s have passed since the joins started.
// Before the create, each host's fake agent enrolls and connects (bench/api-settle.ts, not timed here).
// Then the events once, and a last view.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { DEFAULT_TEMPORAL_TIMEOUT_MS } from '../src/api/app.js';
import { admissionExtraMs } from '../src/api/cluster-create.js';
import { type BenchConfig, GET_BUDGET_MS } from './api-config.js';
import { diagnoseWorkflow } from './api-diagnose.js';
import type { RunOptions } from './api-run.js';
import { startAgents } from './api-settle.js';
import { type HttpTarget, latencyStats, percentile, type Sample, timedRequest } from './api-http.js';
import {
  BIG_CLUSTER,
  bigClusterHosts,
  isOk,
  overlayCidrFor,
  registerAll,
  round,
  specs,
  viewSummary,
} from './api-hosts.js';

type Window = 'duringCreate' | 'admitting' | 'joining' | 'ready';

/** Latency of one window plus how many answers broke the budget (slow, or an error that is not allowed). */
function windowStats(samples: Sample[], allow404: boolean) {
  const over = samples.filter((s) => s.ms > GET_BUDGET_MS || !(isOk(s) || (allow404 && s.status === 404)));
  return { ...latencyStats(samples), overBudget: over.length, allWithinBudget: over.length === 0 };
}

export async function bigCluster(target: HttpTarget, cfg: BenchConfig, log: Logger, run: RunOptions) {
  const n = cfg.big;
  const hosts = bigClusterHosts(cfg.clusters, cfg.hostsPerCluster, n);
  const ids = hosts.map((h) => h.hostId);
  log.info({ hosts: n }, 'registering the big cluster hosts');
  const register = await registerAll(target, hosts, cfg.concurrency, log);
  const agents = run.agents ? await startAgents(run.agents, target, hosts, cfg.concurrency, log) : null;

  const body = { name: BIG_CLUSTER, overlayCidr: overlayCidrFor(n), hosts: specs(ids) };
  const path = `/v1/clusters/${BIG_CLUSTER}`;
  const t0 = performance.now();
  const mark = {
    createdAt: null as number | null,
    refused: false,
    joiningAt: null as number | null,
    /** First view with phase Ready and every host Joined. */
    readyAt: null as number | null,
    /** The view answered, then 404: the workflow ended (e.g. admission failed). */
    goneAt: null as number | null,
    seen: false,
  };
  log.info({ hosts: n, cidr: body.overlayCidr }, 'creating the big cluster while GETting it');
  // The client waits longer than the API's own deadline for this create (which grows with its hosts), so a
  // create the API could not confirm in time shows as its 503, not as the client giving up first (1000
  // hosts: the API answers within 65 s; the usual 60 s client timeout answered nothing).
  const apiDeadlineMs = DEFAULT_TEMPORAL_TIMEOUT_MS + admissionExtraMs(n);
  const createTarget = { ...target, timeoutMs: Math.max(target.timeoutMs, apiDeadlineMs + 15_000) };
  const create = timedRequest(createTarget, 'POST', '/v1/clusters', body, t0).then((s) => {
    mark.createdAt = performance.now();
    // A 4xx is a refusal: nothing will join. A 5xx may still be admitted by the running workflow.
    mark.refused = s.status >= 400 && s.status < 500;
    log.info({ status: s.status, ms: Math.round(s.ms), error: s.error }, 'big cluster create answered');
    return s;
  });

  const windows: Record<Window, Sample[]> = { duringCreate: [], admitting: [], joining: [], ready: [] };
  const firstOk: Sample[] = [];
  const done = () => {
    const now = performance.now();
    if (mark.joiningAt !== null) {
      const minDone = now > mark.joiningAt + cfg.duration * 1000;
      if (!run.agents) return minDone;
      return (minDone && mark.readyAt !== null) || now > mark.joiningAt + cfg.readyWait * 1000;
    }
    if (mark.createdAt === null) return false;
    return mark.refused || mark.goneAt !== null || now > t0 + cfg.admitWait * 1000;
  };
  const poller = async () => {
    while (!done()) {
      const window: Window =
        mark.createdAt === null
          ? 'duringCreate'
          : mark.joiningAt === null
            ? 'admitting'
            : mark.readyAt === null
              ? 'joining'
              : 'ready';
      const s = await timedRequest(target, 'GET', path, undefined, t0);
      windows[window].push(s);
      if (s.status === 404 && mark.seen && mark.createdAt !== null && mark.goneAt === null) {
        mark.goneAt = performance.now();
        log.warn({ afterS: round((mark.goneAt - t0) / 1000) }, 'big cluster is gone (404 after it answered)');
      }
      if (!isOk(s)) continue;
      mark.seen = true;
      const view = viewSummary(s.body);
      // Thousands of 1000-host views (~0.2 MB each) held to the end cost the load generator GBs: only the
      // first is kept whole.
      if (firstOk.length === 0) firstOk.push(s);
      else s.body = null;
      if (mark.joiningAt === null && view.hosts > 0 && !view.states['Pending']) {
        mark.joiningAt = performance.now();
        log.info(
          { afterS: round((mark.joiningAt - t0) / 1000), states: view.states },
          'big cluster admitted',
        );
      }
      if (mark.readyAt === null && view.phase === 'Ready' && (view.states['Joined'] ?? 0) === n) {
        mark.readyAt = performance.now();
        log.info({ afterS: round((mark.readyAt - t0) / 1000) }, 'big cluster Ready');
      }
    }
  };
  const [created] = await Promise.all([create, ...Array.from({ length: cfg.bigClients }, poller)]);

  const events = await timedRequest(target, 'GET', `${path}/events`, undefined, t0);
  const last = await timedRequest(target, 'GET', path, undefined, t0);
  const workflow = run.temporalAddress
    ? await diagnoseWorkflow(run.temporalAddress, `cluster/${BIG_CLUSTER}`)
    : null;
  const all = [...windows.duringCreate, ...windows.admitting, ...windows.joining, ...windows.ready];
  const stats = {
    duringCreate: windowStats(windows.duringCreate, true),
    admitting: windowStats(windows.admitting, false),
    joining: windowStats(windows.joining, false),
    ready: windowStats(windows.ready, false),
  };
  const overall = windowStats(all, false);
  const okBytes = all
    .filter(isOk)
    .map((s) => s.bytes)
    .sort((a, b) => a - b);
  const firstOver = windows.joining.find((s) => s.ms > GET_BUDGET_MS || !isOk(s));
  return {
    hosts: n,
    overlayCidr: body.overlayCidr,
    register,
    agents,
    create: {
      status: created.status,
      ms: round(created.ms),
      requestBytes: Buffer.byteLength(JSON.stringify(body)),
      ...(created.error ? { error: created.error } : {}),
    },
    /** Seconds from sending the create until a GET showed no Pending host (joins started); null: never. */
    admittedAfterS: mark.joiningAt === null ? null : round((mark.joiningAt - t0) / 1000),
    /** Seconds from sending the create until the cluster answered 404 again (its workflow ended). */
    goneAfterS: mark.goneAt === null ? null : round((mark.goneAt - t0) / 1000),
    /** Seconds from sending the create until a GET showed it Ready with every host Joined; null: never. */
    readyAfterS: mark.readyAt === null ? null : round((mark.readyAt - t0) / 1000),
    get: {
      budgetMs: GET_BUDGET_MS,
      clients: cfg.bigClients,
      joiningDurationS: cfg.duration,
      requests: all.length,
      maxMs: overall.maxMs,
      overBudget: Object.values(stats).reduce((sum, w) => sum + w.overBudget, 0),
      // Only a cluster that was admitted and read while joining can meet the goal.
      allWithinBudget: windows.joining.length > 0 && Object.values(stats).every((w) => w.allWithinBudget),
      ...stats,
      /** Seconds after the joins started of the first GET over budget. */
      firstOverBudgetWhileJoiningAtS:
        firstOver && mark.joiningAt !== null ? round((t0 + firstOver.at - mark.joiningAt) / 1000) : null,
      responseBytesP50: percentile(okBytes, 50),
      responseBytesMax: okBytes.at(-1) ?? 0,
      firstGetListsEveryHost: firstOk[0] ? viewSummary(firstOk[0].body).hosts === n : false,
    },
    final: { status: last.status, ms: round(last.ms), ...viewSummary(last.body) },
    workflow,
    events: {
      status: events.status,
      ms: round(events.ms),
      bytes: events.bytes,
      count: Array.isArray(events.body) ? events.body.length : 0,
    },
  };
}
