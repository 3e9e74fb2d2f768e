// Between the measured phases of `npm run bench:api`: the fake agents of a batch of hosts are started
// (enrolled over the API, connected to the broker) and the control plane has taken their reports, and the
// small clusters have settled (every host Joined, phase Ready: the agents answered preflight, applied the
// overlay and acked the peer tables). Both are reported, neither is part of a latency measurement.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { AgentFleet } from './api-fleet.js';
import { type HttpTarget, pool, timedRequest } from './api-http.js';
import { type BenchHost, isOk, round, viewSummary } from './api-hosts.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts an agent for each host (on the underlay address it was registered with), then waits until the
 * control plane shows the last of them
 * online: the relay takes reports in arrival order, so the backlog of presence and underlay reports is
 * behind us (GET /v1/hosts would query every host workflow: not usable at thousands of hosts).
 */
export async function startAgents(
  agents: AgentFleet,
  target: HttpTarget,
  hosts: BenchHost[],
  concurrency: number,
  log: Logger,
  waitS = 300,
) {
  log.info({ hosts: hosts.length }, 'starting fake agents (join token, enroll, connect)');
  const started = await agents.start(hosts, concurrency);
  if (started.failedCount > 0) log.warn({ failed: started.failed }, 'some fake agents did not start');
  const t0 = performance.now();
  const last = hosts.slice(-5).map((h) => h.hostId);
  let onlineAfterS: number | null = null;
  while (performance.now() - t0 < waitS * 1000) {
    const views = await Promise.all(last.map((id) => timedRequest(target, 'GET', `/v1/hosts/${id}`)));
    if (views.every((v) => isOk(v) && (v.body as { online?: boolean }).online === true)) {
      onlineAfterS = round((performance.now() - t0) / 1000);
      break;
    }
    await sleep(500);
  }
  log.info({ started: started.started, totalMs: started.totalMs, onlineAfterS }, 'fake agents running');
  return { ...started, lastOnlineAfterS: onlineAfterS };
}

/**
 * Reads every cluster again and again (one pass at `concurrency`, then a pause) until each one is Ready
 * with every host Joined, or `waitS` has passed. Returns when that was, and the last pass's phases and
 * host states. A cluster in `unconfirmed` (its client's final answer was not 202: it may or may not have
 * been created) that answers 404 was never created: it is left out from then on and counted apart, so the
 * run does not wait `waitS` for it (a 1 000 x 3 run spent 10 minutes on 13 of them).
 */
export async function waitReady(
  target: HttpTarget,
  names: string[],
  concurrency: number,
  log: Logger,
  waitS: number,
  /** performance.now() when their creates began (readiness is reported from there). */
  since = performance.now(),
  unconfirmed: ReadonlySet<string> = new Set(),
) {
  const t0 = performance.now();
  let pending = names;
  let passes = 0;
  const phases: Record<string, number> = {};
  const states: Record<string, number> = {};
  const neverCreated: string[] = [];
  while (pending.length > 0 && performance.now() - t0 < waitS * 1000) {
    if (passes++ > 0) await sleep(2000);
    const asked = pending; // views[i] is the view of asked[i]
    const views = await pool(asked, concurrency, (name) =>
      timedRequest(target, 'GET', `/v1/clusters/${name}`),
    );
    const ready = (i: number) => {
      const v = viewSummary(views[i]!.body);
      return isOk(views[i]!) && v.phase === 'Ready' && v.hosts > 0 && v.hosts === (v.states['Joined'] ?? 0);
    };
    const gone = (i: number) => views[i]!.status === 404 && unconfirmed.has(asked[i]!);
    neverCreated.push(...asked.filter((_, i) => gone(i)));
    pending = asked.filter((_, i) => !ready(i) && !gone(i));
    log.info({ notReady: pending.length, clusters: names.length, passes }, 'waiting for Ready');
    if (pending.length > 0 && performance.now() - t0 >= waitS * 1000) {
      for (const [i, s] of views.entries()) {
        if (ready(i) || gone(i)) continue;
        const v = viewSummary(s.body);
        const phase = isOk(s) ? (v.phase ?? '?') : `HTTP ${s.status}`;
        phases[phase] = (phases[phase] ?? 0) + 1;
        for (const [k, n] of Object.entries(v.states)) states[k] = (states[k] ?? 0) + n;
      }
    }
  }
  return {
    clusters: names.length,
    ready: names.length - pending.length - neverCreated.length,
    /** Clusters whose create was never confirmed and which do not exist (404): not waited for. */
    neverCreated: neverCreated.length,
    /** Seconds from the first create until the pass that found every created cluster Ready. */
    allReadyAfterS: pending.length === 0 ? round((performance.now() - since) / 1000) : null,
    passes,
    /** Of the clusters still not Ready at the end: their phases and their hosts' states. */
    notReady: { phases, hostStates: states, examples: pending.slice(0, 5) },
  };
}
