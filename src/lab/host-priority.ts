// CPU priorities in the lab, where 20 hosts, their probes and the whole control plane share two cores.
//
// Linux's autogroup (kernel.sched_autogroup_enabled=1, the default of most distributions and of this
// machine) shares the CPU among SESSIONS first, each weighted by its session's nice value; a thread's own
// nice value orders it only among the threads of its own session. Every lab host process (agent, DHCP
// client, prober) runs in a session of its own (spawnInNetns, spawnManyInNetns), so all of them compete
// with each other and with the control process's session as equals, whatever their thread's nice value
// says. The lab's hosts used to be set to nice 10 that way, which did nothing: measured (four busy loops in
// four sessions, two at nice 10) 50 % of a core each; with those two sessions at nice 10 too, 9.5 % against
// 90 %. So the hosts stay at the control plane's priority. Measured on 20-host renumberings (API complete
// and overlay back, from the outage's start; medians):
//  - all sessions equal, as ever (12): overlay 1.45 s, API 3.95 s (2.50 s after the overlay);
//  - the hosts' sessions at nice 10 (3): overlay 3.75-4.59 s; the agents repair it, and got a tenth;
//  - the control plane's session at nice -6 (12): overlay 2.15 s, API 3.63 s (1.68 s after it); the hosts'
//    sessions at nice 6 instead (9): overlay 2.05 s, API 3.55 s (1.44 s after it).
// The CPU is shared, not gained: what the control plane wins the overlay loses, and "after the overlay"
// only looks better because the overlay is later. The broker and Temporal are children in the control
// process's own session: their values below order them against the control worker and the API in that
// process, not against the hosts.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The broker of a lab's control plane (loopback-plane.ts), ahead of the control worker and the API in their
 * session (see above). On a site it has a machine of its own; in the lab, during a renumbering, its event
 * loop waited for the CPU: the agents' TLS handshakes each waited 0.3-0.7 s for its ServerHello and again
 * for its CONNACK (traced at the lab's forwarder). 20-host renumberings, API complete after the last lease:
 * broker at nice 0 median 3.50 s (9); at -10 median 3.20 s (18). It needs little CPU, only soon. */
export const LAB_BROKER_NICE = -10;

/** The lab control plane's Temporal dev server (one process for every Temporal service), likewise: starved
 * during a 20-host renumbering, its history service's call to its own matching service ran past its
 * deadline ("Fail to process task … TransferWorkflowTask … context deadline exceeded"), and the cluster's
 * next workflow task was dispatched only when that task was retried, ~9 s later: the API showed the
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

/**
 * Sets the nice value of the SESSION `pid` runs in, when that is a session of its own (see above: for a
 * process started in its own session, reniceProcess alone changes nothing against other processes).
 * Never applied to a process in this process's own session (the control plane's broker and Temporal):
 * that would change this process's weight too. False when not applied (same session, gone, not root, or
 * a kernel without autogroup).
 */
export function setSessionNice(pid: number, nice: number): boolean {
  try {
    const group = (of: string) => readFileSync(`/proc/${of}/autogroup`, 'utf8').split(' ')[0];
    if (group(String(pid)) === group('self')) return false;
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
    return true;
  } catch {
    return false;
  }
}
