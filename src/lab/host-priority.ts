// What a lab host runs (its agent, its DHCP client) runs at a lower CPU priority than the control plane.
// On a real site every agent has a machine of its own; in the lab 20 agents and their DHCP clients share
// two cores with Temporal, the broker and the control worker, and a renumbering wakes all of them at once:
// at equal priority the control plane's workflow tasks and queries waited seconds for the CPU (traced:
// .scratch/convergence-trace.md). The probes that time the overlay (mesh-prober) are NOT lowered: a
// starved prober would send late and make the overlay look back later than it was.
// EDGE_OVERLAY_LAB_NICE overrides it (0: same priority as the control plane, for comparison).
// The other way round, the broker and Temporal of a lab's control plane run ABOVE the rest (LAB_BROKER_NICE,
// LAB_TEMPORAL_NICE), and so does the forwarder that stands in for the network (control-forwarder.ts).

import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

export const DEFAULT_LAB_HOST_NICE = 10;

export function labHostNice(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.EDGE_OVERLAY_LAB_NICE;
  if (raw === undefined || raw === '') return DEFAULT_LAB_HOST_NICE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 19)
    throw new Error(`EDGE_OVERLAY_LAB_NICE must be an integer from 0 to 19 (got '${raw}')`);
  return n;
}

/** The broker of a lab's control plane (loopback-plane.ts). On a site it has a machine of its own; in the lab
 * it shares two cores with the 20 probers (nice 0, so they time the overlay honestly) besides the agents,
 * and during a renumbering its event loop waited for the CPU: the agents' TLS handshakes each waited
 * 0.3-0.7 s for its ServerHello and again for its CONNACK (traced at the lab's forwarder). 20-host
 * renumberings, API complete after the last lease: broker at nice 0 median 3.50 s (9); at -10 median 3.20 s
 * (18). It needs little CPU, only soon. */
export const LAB_BROKER_NICE = -10;

/** The lab control plane's Temporal dev server (one process for every Temporal service), for the same
 * reason: starved during a 20-host renumbering, its history service's call to its own matching service ran
 * past its deadline ("Fail to process task … TransferWorkflowTask … context deadline exceeded"), and the
 * cluster's next workflow task was dispatched only when that task was retried, ~9 s later: the API showed the
 * renumbering 10.6 s after the overlay (traced; 3 such outliers in ~66 renumberings of 20 hosts). */
export const LAB_TEMPORAL_NICE = -5;

/** Sets the nice value of every thread of `pid` (Linux keeps one per thread; threads made later inherit
 * their creator's). False when it could not (not root, or the process is gone). */
export function reniceProcess(pid: number, nice: number): boolean {
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) setPriority(Number(tid), nice);
    return true;
  } catch {
    return false;
  }
}
