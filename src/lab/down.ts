// `lab down`: ends a lab from whatever it left. The `lab up` process is asked first (SIGTERM: it tears its own
// lab down); then every PID the state records (comm checked), every process still inside one of the lab's
// namespaces (`ip netns pids`: a lab namespace holds only the lab's processes), the namespaces, the
// registry copy and the state dir. Nothing is found by process name (no pkill).
import { rmSync } from 'node:fs';
import { processRunner, netnsList } from '../net/index.js';
import { destroyLab, recordedPids } from './lab.js';
import { isLabNamespace } from './names.js';
import { deleteNetns, isAlive, netnsPids, stopPid } from './netns.js';
import { type FoundLab, findLab, liveOwner } from './registry.js';

export interface DownResult {
  name: string;
  /** PIDs that were running and were stopped. */
  stopped: number[];
  /** Namespaces that existed and were deleted. */
  namespaces: string[];
}

/** How long the `lab up` process gets to tear its own lab down before the rest is cleaned here. */
const OWNER_GRACE_MS = 30_000;

export async function downLab(found: FoundLab, labsDir: string, env = process.env): Promise<DownResult> {
  const before = new Set<number>();
  const note = (pids: number[]) => {
    for (const pid of pids) if (pid !== process.pid && isAlive(pid)) before.add(pid);
  };
  for (const s of found.states) note(recordedPids(s).map((p) => p.pid));
  const owner = liveOwner(found);
  if (owner && owner.pid !== process.pid) {
    note([owner.pid]);
    await stopPid(owner.pid, { expectComm: owner.comm, graceMs: OWNER_GRACE_MS });
  }
  // what the owner did not get to (or what a killed owner left): read afresh, `lab outage` changes PIDs
  const left = (await findLab(found.paths.name, labsDir, env)) ?? { ...found, states: [], namespaces: [] };
  for (const s of left.states) {
    note(recordedPids(s).map((p) => p.pid));
    await destroyLab(s, { keepRunDir: true });
  }
  const orphans = (await netnsList(processRunner)).filter((ns) => isLabNamespace(found.paths.nsPrefix, ns));
  for (const ns of orphans) {
    const pids = await netnsPids(ns);
    note(pids);
    await Promise.all(pids.map((pid) => stopPid(pid, { graceMs: 3000 })));
    await deleteNetns(ns);
  }
  rmSync(found.paths.registryFile, { force: true });
  for (const s of [...found.states, ...left.states]) rmSync(s.runDir, { recursive: true, force: true });
  rmSync(found.paths.stateDir, { recursive: true, force: true });
  return {
    name: found.paths.name,
    stopped: [...before].filter((pid) => !isAlive(pid)).sort((a, b) => a - b),
    namespaces: [...new Set([...found.namespaces, ...orphans])].sort(),
  };
}
