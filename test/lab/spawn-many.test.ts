// spawnManyInNetns (src/lab/spawn-many.ts): many daemons from one `sh`, each with the PID it was started
// as (so the lab stops it by PID), in its namespace, its own session, only the environment
// given, output to its log; every value is quoted into the script, whatever it holds.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns, processComm, stopPid } from '../../src/lab/netns.js';
import { type DaemonSpec, spawnManyInNetns, spawnScript } from '../../src/lab/spawn-many.js';
import { notRoot } from '../helpers/netns-lab.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** PIDs of live `sleep 30` processes (zombies aside). */
const sleepers = async (): Promise<number[]> => {
  const { stdout } = await execa('ps', ['-eo', 'pid=,stat=,args='], { reject: false });
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, st, ...args]) => !st?.startsWith('Z') && args.join(' ') === 'sleep 30')
    .map(([pid]) => Number(pid));
};

const stat = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
};

describe('spawnScript', () => {
  it('quotes every value and refuses a bad variable name', () => {
    const spec: DaemonSpec = {
      ns: "ns'; reboot; '",
      cmd: 'sleep',
      args: ['$(id)', "it's"],
      env: { A: '`id`' },
      logFile: '/tmp/x y',
    };
    const script = spawnScript([spec]);
    expect(script).toContain(`'ns'\\''; reboot; '\\'''`);
    expect(script).toContain(`'$(id)' 'it'\\''s'`);
    expect(script).toContain("'A=`id`'");
    expect(script.split('\n').at(-1)).toBe('echo $!');
    expect(() => spawnScript([{ ...spec, env: { 'A;B': 'x' } }])).toThrow(/variable name/);
  });
});

describe.skipIf(notRoot('spawnManyInNetns'))('spawnManyInNetns (netns)', () => {
  const ns = `eo-spawn-${randomBytes(3).toString('hex')}`;
  let dir: string;
  const pids: number[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eo-spawn-'));
    await createNetns(ns);
  });
  afterAll(async () => {
    await Promise.all(pids.map((pid) => stopPid(pid, { graceMs: 1000 })));
    await deleteNetns(ns);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts each daemon as the PID it reports, in the namespace, its own session and env', async () => {
    const specs: DaemonSpec[] = [1, 2, 3].map((i) => ({
      ns,
      cmd: 'sh',
      args: ['-c', 'echo "started $EO_TEST_VALUE"; while :; do sleep 1; done'],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', EO_TEST_VALUE: `it's #${i}` },
      logFile: join(dir, `d${i}.log`),
    }));
    pids.push(...(await spawnManyInNetns(specs)));
    expect(pids).toHaveLength(3);
    const myNs = await execa('readlink', [`/proc/${process.pid}/ns/net`]);
    const nsInode = (await execa('ip', ['netns', 'exec', ns, 'readlink', '/proc/self/ns/net'])).stdout;
    expect(nsInode).not.toBe(myNs.stdout);
    for (const [i, pid] of pids.entries()) {
      expect(processComm(pid)).toBe('sh');
      expect((await execa('readlink', [`/proc/${pid}/ns/net`])).stdout).toBe(nsInode);
      const f = stat(pid);
      expect(Number(f[3]), 'session id = its own PID').toBe(pid); // field 6: session
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
      expect(env.sort()).toEqual([`EO_TEST_VALUE=it's #${i + 1}`, `PATH=${specs[i]!.env['PATH']}`]);
    }
    for (let i = 1; i <= 3; i++) {
      for (
        const end = Date.now() + 3000;
        !readFileSync(join(dir, `d${i}.log`), 'utf8').includes('started');
      ) {
        if (Date.now() > end) throw new Error(`d${i}.log stays empty`);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(readFileSync(join(dir, `d${i}.log`), 'utf8')).toBe(`started it's #${i}\n`);
    }
  });
  it('when one daemon exits at once, the others it started are stopped and the call fails', async () => {
    const base = { ns, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, logFile: join(dir, 'x.log') };
    const specs: DaemonSpec[] = [
      { ...base, cmd: 'sleep', args: ['30'] },
      { ...base, cmd: 'eo-no-such-daemon', args: [] },
    ];
    const before = new Set(await sleepers());
    await expect(spawnManyInNetns(specs, 2_000)).rejects.toThrow(/exited at once|did not start/);
    for (const end = Date.now() + 3_000; (await sleepers()).some((p) => !before.has(p)); await sleep(50))
      if (Date.now() > end) throw new Error('a started daemon was left running');
  });
});
