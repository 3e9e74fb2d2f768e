// probePeers: ping every overlay target (bounded parallelism) and count lost probes.
import { ping } from '../../net/index.js';
import type { ProbePeersInput, ProbePeersResult } from './contract.js';
import type { HostDeps } from './deps.js';

const PARALLEL = 16;

export async function probePeers(deps: HostDeps, input: ProbePeersInput): Promise<ProbePeersResult> {
  const count = input.count ?? 3;
  const timeoutMs = input.timeoutMs ?? 1000;
  const targets = [...new Set(input.targets)];
  const results: Array<{ target: string; sent: number; received: number }> = [];
  for (let i = 0; i < targets.length; i += PARALLEL) {
    const chunk = targets.slice(i, i + PARALLEL);
    results.push(
      ...(await Promise.all(chunk.map((t) => ping(deps.runner, t, count, timeoutMs, deps.netns)))),
    );
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
