// Lets agents in host namespaces reach Temporal on the root loopback OVER THE UNDERLAY (DESIGN.md, test lab):
// control ns: socat TCP-LISTEN:<port>,bind=<ctl ip>,fork,reuseaddr UNIX-CONNECT:<sock>
// root ns:    socat UNIX-LISTEN:<sock>,fork TCP:127.0.0.1:<target port>
// Filesystem unix sockets are shared across network namespaces, which is what joins the two halves.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ipv4Schema } from '../domain/validation.js';
import { spawnInNetns, stopPid } from './netns.js';

export interface ControlForwarderOptions {
  /** Namespace on the lab L2 holding the static control address. */
  ctlNs: string;
  ctlIp: string;
  /** Port agents connect to on ctlIp. */
  listenPort: number;
  /** Port on 127.0.0.1 in the root namespace (e.g. Temporal's frontend). */
  targetPort: number;
  targetHost?: string;
  /** Where the unix socket joining the halves goes (e.g. the lab's run dir); default a temp dir removed
   * by stop(). A forwarder stopped by PID from another process leaves nothing behind in /tmp this way. */
  socketPath?: string;
}

export interface ControlForwarder {
  /** What agents pass as --temporal (or use in a URL). */
  address: string;
  pids: number[];
  stop(): Promise<void>;
}

export async function startControlForwarder(o: ControlForwarderOptions): Promise<ControlForwarder> {
  const ctlIp = ipv4Schema.parse(o.ctlIp);
  const dir = o.socketPath ? undefined : mkdtempSync(join(tmpdir(), 'edge-overlay-fwd-'));
  const sock = o.socketPath ?? join(dir!, 'ctl.sock');
  // a socket left by an earlier forwarder would pass the readiness check below before socat listens
  rmSync(sock, { force: true });
  const root = spawn(
    'socat',
    [`UNIX-LISTEN:${sock},fork`, `TCP:${o.targetHost ?? '127.0.0.1'}:${o.targetPort}`],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  const pids: number[] = [];
  if (root.pid !== undefined) pids.push(root.pid);
  const stop = async () => {
    await Promise.all(pids.map((pid) => stopPid(pid, { expectComm: 'socat', graceMs: 2000 })));
    if (dir) rmSync(dir, { recursive: true, force: true });
    else rmSync(sock, { force: true });
  };
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(20);
    if (!existsSync(sock)) throw new Error(`socat did not create ${sock}`);
    const ctl = await spawnInNetns(o.ctlNs, 'socat', [
      `TCP-LISTEN:${o.listenPort},bind=${ctlIp},fork,reuseaddr`,
      `UNIX-CONNECT:${sock}`,
    ]);
    pids.push(ctl.pid);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address: `${ctlIp}:${o.listenPort}`, pids, stop };
}
