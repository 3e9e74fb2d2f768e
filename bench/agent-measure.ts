// What bench:agent reads about a running agent, from /proc only (no cooperation from the agent):
// resident memory (VmRSS, with its anonymous/file split and PSS for context) and CPU time. CPU counts the
// agent's own time AND that of the children it has waited for (`ip` runs, the PKI helper): work the agent
// hands to a process it spawns is still the agent's cost on the host.
import { readdirSync, readFileSync } from 'node:fs';

export interface MemorySample {
  /** VmRSS: what `ps`/`top` show, the goal's measure. */
  rssMb: number;
  /** Private to the process (heap, stacks): the part 20 agents on one host really pay 20 times. */
  anonMb: number;
  /** Pages of files (node binary, libraries), shared with every other node process on the host. */
  fileMb: number;
}

const kbField = (status: string, name: string): number => {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m) throw new Error(`/proc status has no ${name}`);
  return Number(m[1]);
};

export function memorySample(pid: number): MemorySample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    rssMb: kbField(status, 'VmRSS') / 1024,
    anonMb: kbField(status, 'RssAnon') / 1024,
    fileMb: kbField(status, 'RssFile') / 1024,
  };
}

/** Proportional set size in MB (shared pages divided among their users); null where unavailable. */
export function pssMb(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
export const USER_HZ = 100;

/** utime + stime + cutime + cstime in clock ticks (stat fields 14-17, after the parenthesised comm). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is stat field 3 (state): utime = field 14 → index 11, … cstime = field 17 → index 14.
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
}

/** Live child processes of `pid` (from /proc/<pid>/task/<tid>/children). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (text) out.push(...text.split(' ').map(Number));
  }
  return out;
}

/**
 * The agent's CPU time with every process it runs: its own, its exited children's (cutime) and the
 * still-running ones' (the VIP lease's persistent `ip -batch` child, `ip monitor`), which /proc counts
 * nowhere else while they live. A child that exits between two reads moves from here into cutime.
 */
export function cpuTicksWithChildren(pid: number): number {
  let sum = cpuTicks(pid);
  for (const child of childrenOf(pid)) {
    try {
      sum += cpuTicksWithChildren(child);
    } catch {
      // exited meanwhile: its time is in our cutime from now on
    }
  }
  return sum;
}

export const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const spread = (xs: readonly number[], d = 1) => ({
  median: round(median(xs), d),
  max: round(Math.max(...xs), d),
  all: xs.map((x) => round(x, d)),
});
