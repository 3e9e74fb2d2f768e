// The lab's CPU priorities (src/lab/host-priority.ts): a nice value for every thread of a process, and for
// the session of a process that runs in one of its own (Linux autogroup weighs sessions first).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { reniceProcess, setSessionNice } from '../../src/lab/host-priority.js';

/** Field 19 of /proc/<pid>/task/<tid>/stat: the thread's nice value. */
const threadNices = (pid: number): number[] =>
  readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });

describe('lab priorities', () => {
  // A node child has several threads (libuv, V8): each one must get the new value, not only the first.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  // one in a session of its own, as every lab host process runs (spawnInNetns: detached)
  const own = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
  afterAll(() => {
    child.kill('SIGKILL');
    own.kill('SIGKILL');
  });

  it('reniceProcess sets every thread of a process; false for a process that is gone', async () => {
    await new Promise((r) => setTimeout(r, 300)); // its threads are up
    const pid = child.pid!;
    expect(threadNices(pid).length).toBeGreaterThan(1);
    expect(reniceProcess(pid, 7)).toBe(true); // lowering needs no privilege
    expect(new Set(threadNices(pid))).toEqual(new Set([7]));
    expect(reniceProcess(2 ** 22 + 12345, 7)).toBe(false);
  });

  const autogroup = (of: string) => readFileSync(`/proc/${of}/autogroup`, 'utf8').trim();
  it.runIf(existsSync('/proc/self/autogroup'))(
    "setSessionNice sets a process's own session, never this process's session",
    () => {
      const mine = autogroup('self');
      expect(setSessionNice(own.pid!, 6)).toBe(true); // lowering needs no privilege
      expect(autogroup(String(own.pid))).toMatch(/ nice 6$/);
      // the child shares this process's session: its weight is ours, left alone
      expect(setSessionNice(child.pid!, 6)).toBe(false);
      expect(autogroup('self')).toBe(mine);
      expect(setSessionNice(2 ** 22 + 12345, 6)).toBe(false);
    },
  );
});
