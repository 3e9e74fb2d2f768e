// The lab's CPU priorities: what a lab host runs is lowered, the control plane's broker and Temporal are
// raised (src/lab/host-priority.ts), on every thread of their process.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { labHostNice, reniceProcess } from '../../src/lab/host-priority.js';

/** Field 19 of /proc/<pid>/task/<tid>/stat: the thread's nice value. */
const threadNices = (pid: number): number[] =>
  readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });

describe('lab priorities', () => {
  it('lab hosts run at nice 10 unless EDGE_OVERLAY_LAB_NICE says otherwise, within 0-19', () => {
    expect(labHostNice({})).toBe(10);
    expect(labHostNice({ EDGE_OVERLAY_LAB_NICE: '0' })).toBe(0);
    expect(() => labHostNice({ EDGE_OVERLAY_LAB_NICE: '-5' })).toThrow(/0 to 19/);
    expect(() => labHostNice({ EDGE_OVERLAY_LAB_NICE: 'x' })).toThrow(/0 to 19/);
  });

  // A node child has several threads (libuv, V8): each one must get the new value, not only the first.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  afterAll(() => {
    child.kill('SIGKILL');
  });

  it('reniceProcess sets every thread of a process; false for a process that is gone', async () => {
    await new Promise((r) => setTimeout(r, 300)); // its threads are up
    const pid = child.pid!;
    expect(threadNices(pid).length).toBeGreaterThan(1);
    expect(reniceProcess(pid, 7)).toBe(true); // lowering needs no privilege
    expect(new Set(threadNices(pid))).toEqual(new Set([7]));
    expect(reniceProcess(2 ** 22 + 12345, 7)).toBe(false);
  });
});
