// Full-mesh overlay reachability for benchmarks and e2e tests: one UDP mesh prober per host (mesh-prober.ts,
// in the host's namespace) and a reader that says when every ordered pair answers again. Lets a 20-host lab
// be timed without 380 ping processes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../dev/paths.js';
import { trackPid } from './lab.js';
import { spawnInNetns } from './netns.js';
import type { LabState } from './state.js';

const PROBE_PORT = 7999;
const probeFile = (lab: LabState, hostId: string) => join(lab.runDir, `${hostId}.probe.json`);

/** A prober per host; probes every peer every `intervalMs` (default 5 ms per host, at least 20). */
export async function startMeshProbers(
  lab: LabState,
  ips: Record<string, string>,
  intervalMs = Math.max(20, lab.hosts.length * 5),
): Promise<number> {
  for (const h of lab.hosts) {
    const proc = await spawnInNetns(
      h.ns,
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'src/lab/mesh-prober.ts')],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env['PATH'],
          OVERLAY_IP: ips[h.hostId],
          PORT: String(PROBE_PORT),
          PEERS: lab.hosts
            .filter((p) => p !== h)
            .map((p) => ips[p.hostId])
            .join(','),
          INTERVAL_MS: String(intervalMs),
          OUT_FILE: probeFile(lab, h.hostId),
        },
        logFile: join(lab.runDir, `${h.hostId}.probe.log`),
      },
    );
    trackPid(lab, { pid: proc.pid, comm: 'node' });
  }
  return intervalMs;
}

/** Per prober: peer overlay IP → okSince (ms) or null. */
function readProbes(lab: LabState): Array<Record<string, number | null>> {
  return lab.hosts.map((h) => {
    try {
      return (
        JSON.parse(readFileSync(probeFile(lab, h.hostId), 'utf8')) as { peers: Record<string, number | null> }
      ).peers;
    } catch {
      return { missing: null };
    }
  });
}

/**
 * Waits for every ordered pair to answer again after `brokenAfter` (wall clock ms); returns the latest
 * okSince over all pairs: when the last pair came back.
 */
export async function waitForMesh(lab: LabState, brokenAfter: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let unsettled = 0;
  while (Date.now() < deadline) {
    const all = readProbes(lab).flatMap((p) => Object.values(p));
    // A pair that never lost a probe (break shorter than the interval) counts once 3 s have passed.
    const late = all.filter((t) => !(t !== null && (t > brokenAfter || Date.now() - brokenAfter > 3000)));
    unsettled = late.length;
    if (unsettled === 0) return Math.max(...(all as number[]));
    // The answer is the probers' own okSince, not the time of this read: polling more often than this only
    // takes CPU from the control plane that runs in this process in the tests.
    await sleep(50);
  }
  throw new Error(`overlay mesh did not come back within ${timeoutMs} ms (${unsettled} pairs still down)`);
}
