// probePeers: ping every overlay target (bounded parallelism) and count lost probes.
// Without an explicit count the probe is adaptive: a knock at each target's TCP port first, from this process
// (net/knock.ts: a RST is an answer; no process is started for a target that answers, and a verify round
// after a site-wide renumbering no longer forks a ping per peer on every host at once), then one echo per
// target that did not answer (a healthy target answers in about a millisecond, so a verify round costs one
// round trip, not the 0.4 s that three echoes 0.2 s apart take), and only targets that did not answer that
// either get the full three-echo probe, so one lost packet never marks a peer unreachable. With a namespace
// to run in (tests, a lab driven from outside) the knock is left out: this process's sockets are not there.
import { KNOCK_PORT } from '../../domain/constants.js';
import { knockAll, type PingResult, pingMany } from '../../net/index.js';
import type { HostDeps } from './deps.js';
import type { ProbePeersInput, ProbePeersResult } from './contract.js';

/** Targets pinged at once (one `sh` each batch: net/ping-many.ts). */
const PARALLEL = 64;
const FULL_COUNT = 3;
const QUICK_TIMEOUT_MS = 300;

async function pingAll(
  deps: HostDeps,
  targets: string[],
  count: number,
  timeoutMs: number,
): Promise<PingResult[]> {
  const results: PingResult[] = [];
  for (let i = 0; i < targets.length; i += PARALLEL) {
    results.push(
      ...(await pingMany(deps.runner, targets.slice(i, i + PARALLEL), count, timeoutMs, deps.netns)),
    );
  }
  return results;
}

export async function probePeers(deps: HostDeps, input: ProbePeersInput): Promise<ProbePeersResult> {
  const timeoutMs = input.timeoutMs ?? 1000;
  const targets = [...new Set(input.targets)];
  let results: PingResult[];
  if (input.count !== undefined) results = await pingAll(deps, targets, input.count, timeoutMs);
  else {
    const quickMs = Math.min(timeoutMs, QUICK_TIMEOUT_MS);
    const answered: boolean[] = deps.netns === undefined ? await knockAll(targets, KNOCK_PORT, quickMs) : [];
    const rest = targets.filter((_, i) => !answered[i]);
    const pinged = new Map((await pingAll(deps, rest, 1, quickMs)).map((r) => [r.target, r]));
    // a knock that was answered counts as one echo sent and received
    const quick = targets.map((t) => pinged.get(t) ?? { target: t, sent: 1, received: 1 });
    const silent = quick.filter((r) => r.received === 0).map((r) => r.target);
    const full = new Map((await pingAll(deps, silent, FULL_COUNT, timeoutMs)).map((r) => [r.target, r]));
    results = quick.map((r) => full.get(r.target) ?? r);
  }
  const sent = results.reduce((n, r) => n + r.sent, 0);
  const received = results.reduce((n, r) => n + r.received, 0);
  return {
    reachable: results.filter((r) => r.received > 0).map((r) => r.target),
    unreachable: results.filter((r) => r.received === 0).map((r) => r.target),
    sent,
    lost: sent - received,
  };
}
