// Starts many daemons in their namespaces with ONE spawn from this process. Each spawn from Node forks this
// process, and in the tests this process is large (control worker, API, relay, lab): a site-wide
// renumbering's 20 DHCP clients started one spawn each blocked its event loop for ~1-2 s (CPU profile of
// the 20-host convergence test: 2.05 s in spawn), exactly while the relay in the same process had the
// agents' underlay reports to pass on. Here one small `sh` forks them all and prints their PIDs.
// Like spawnInNetns, each daemon ends up with the PID the shell printed (env, setsid, ip netns exec
// all exec in place; a background job of a non-interactive sh is no process-group leader, so setsid does
// not fork) in a session of its own, output appended to its log file.
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { isAlive, processComm, stopPid } from './netns.js';

export interface DaemonSpec {
  ns: string;
  /** A command found on PATH (its name is what /proc/PID/comm shows once it runs). */
  cmd: string;
  args: string[];
  /** The daemon's whole environment. */
  env: Record<string, string>;
  logFile: string;
}

/** `'…'` for sh: every value goes into the script quoted, whatever it holds. */
const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** The script: one background job per daemon, each echoing its PID on a line of its own, in order. */
export function spawnScript(specs: readonly DaemonSpec[]): string {
  return specs
    .map((s) => {
      const env = Object.entries(s.env).map(([k, v]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`bad environment variable name: ${k}`);
        return quote(`${k}=${v}`);
      });
      const argv = ['env', '-i', ...env, 'setsid', 'ip', 'netns', 'exec', quote(s.ns), quote(s.cmd)];
      return `${[...argv, ...s.args.map(quote)].join(' ')} >>${quote(s.logFile)} 2>&1 </dev/null &\necho $!`;
    })
    .join('\n');
}

/** Starts every daemon; resolves with their PIDs (in order) once each one runs its command. */
export async function spawnManyInNetns(specs: readonly DaemonSpec[], waitMs = 5_000): Promise<number[]> {
  if (specs.length === 0) return [];
  const { stdout } = await execa('sh', ['-c', spawnScript(specs)]);
  const pids = stdout.split('\n').map(Number);
  if (pids.length !== specs.length || !pids.every((p) => Number.isInteger(p) && p > 1))
    throw new Error(`expected ${specs.length} PIDs from the launcher, got: ${stdout}`);
  // Until each one is its command (not env, setsid or ip any more): stopPid checks the name.
  const deadline = Date.now() + waitMs;
  try {
    for (const [i, pid] of pids.entries()) {
      const want = specs[i]!.cmd.slice(0, 15);
      while (processComm(pid) !== want) {
        if (!isAlive(pid)) throw new Error(`${specs[i]!.cmd} in ${specs[i]!.ns} exited at once`);
        if (Date.now() > deadline) throw new Error(`${specs[i]!.cmd} in ${specs[i]!.ns} did not start`);
        await sleep(10);
      }
    }
  } catch (err) {
    // Nobody else knows these PIDs yet: stop the ones that did start, then fail.
    await Promise.all(pids.map((pid) => stopPid(pid, { graceMs: 1000 })));
    throw err;
  }
  return pids;
}
