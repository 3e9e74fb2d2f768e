// Lets agents in host namespaces reach the control plane on the root loopback OVER THE UNDERLAY (DESIGN.md,
// test lab): ctlIp:<listen port> in the control namespace → 127.0.0.1:<target port> in the root namespace.
// One process per forwarded port (forwarder-process.ts: why not socat, and how its listener gets into the
// control namespace), stopped by its PID.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../dev/paths.js';
import { ipv4Schema } from '../domain/validation.js';
import { reniceProcess, setSessionNice } from './host-priority.js';
import { stopPid } from './netns.js';

export interface ControlForwarderOptions {
  /** Namespace on the lab L2 holding the static control address. */
  ctlNs: string;
  ctlIp: string;
  /** Port agents connect to on ctlIp. */
  listenPort: number;
  /** Port on 127.0.0.1 in the root namespace (e.g. the broker's). */
  targetPort: number;
  targetHost?: string;
  /** Where the forwarder's own errors go (e.g. a file in the lab's run dir); default nowhere. */
  logFile?: string;
}

export interface ControlForwarder {
  /** What agents connect to: `<ctlIp>:<listenPort>`. */
  address: string;
  pids: number[];
  stop(): Promise<void>;
}

/** It stands in for the site's network, which forwards in the kernel ahead of every process: at nice 0 it
 * shared the two cores with the 20 mesh probers, the control plane and Temporal when a renumbering woke them
 * all, and its accepts and reads waited 100-300 ms for the CPU (strace). Root may raise it; else it stays. */
export const FORWARDER_NICE = -10;
/** The forwarder's process name, for stopping it by PID. */
export const FORWARDER_COMM = 'node';
const READY_TIMEOUT_MS = 15_000;

export async function startControlForwarder(o: ControlForwarderOptions): Promise<ControlForwarder> {
  const ctlIp = ipv4Schema.parse(o.ctlIp);
  const fd = o.logFile ? openSync(o.logFile, 'a') : undefined;
  // detached: it outlives this process until stopped by PID (the lab CLI starts it and `lab down` stops it)
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/lab/forwarder-process.ts')], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', fd ?? 'ignore', fd ?? 'ignore', 'ipc'],
    env: {
      PATH: process.env['PATH'],
      CTL_NS: o.ctlNs,
      LISTEN_HOST: ctlIp,
      LISTEN_PORT: String(o.listenPort),
      TARGET_HOST: o.targetHost ?? '127.0.0.1',
      TARGET_PORT: String(o.targetPort),
    },
  });
  if (fd !== undefined) closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the control forwarder');
  const stop = () => stopPid(pid, { expectComm: FORWARDER_COMM, graceMs: 2000 });
  // its threads and its session (its own: see host-priority.ts). Not root, or gone already (then the wait
  // below reports its exit): it runs at the starter's priority
  reniceProcess(pid, FORWARDER_NICE) && setSessionNice(pid, FORWARDER_NICE);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the control forwarder did not start within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      child.once('message', (m) => {
        clearTimeout(timer);
        if (m === 'ready') resolve();
        else reject(new Error(`control forwarder ${ctlIp}:${o.listenPort}: ${JSON.stringify(m)}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the control forwarder exited (${code}) before it was ready`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  } finally {
    if (child.connected) child.disconnect();
    child.unref();
  }
  return { address: `${ctlIp}:${o.listenPort}`, pids: [pid], stop };
}
