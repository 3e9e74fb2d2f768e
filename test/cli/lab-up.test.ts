// `lab up` for real (namespaces, dnsmasq, agents, Temporal, broker), as processes: two labs at once are
// isolated by name, a second `up` of a running name is refused and changes nothing, Ctrl-C on one leaves the
// other whole, README's CLI reaches a lab through the `lab env` line, and a failure half-way leaves nothing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/dev/process.js';
import { LAB_EXIT } from '../../src/lab/errors.js';
import { recordedPids } from '../../src/lab/lab.js';
import { labPaths } from '../../src/lab/names.js';
import { isAlive } from '../../src/lab/netns.js';
import { findLab } from '../../src/lab/registry.js';
import { type LabStatus, labStatus } from '../../src/lab/status.js';
import { readLabStateFile, stateFile } from '../../src/lab/state.js';
import { notRoot } from '../helpers/netns-lab.js';
import { bin, expectNoStack, type LabSandbox, labSandbox } from './lab-support.js';

const root = !notRoot('test/cli/lab-up.test.ts');

/** Every PID lab.json named while `up` ran (polled), so the test can check they are all gone after. */
function collectPids(file: string): { stop: () => Set<number> } {
  const seen = new Set<number>();
  const timer = setInterval(() => {
    const s = readLabStateFile(file);
    if (!s) return;
    for (const p of recordedPids(s)) seen.add(p.pid);
  }, 100);
  return {
    stop: () => {
      clearInterval(timer);
      return seen;
    },
  };
}

/** The CLI, as README shows it, with the environment `lab env` prints (parsed from its export line). */
async function cliWithLabEnv(sb: LabSandbox, name: string, args: string[]) {
  const line = (await sb.lab(['env', '--name', name])).stdout.trim();
  const vars = Object.fromEntries(
    line
      .replace(/^export /, '')
      .split(' ')
      .map((kv) => kv.split('=', 2) as [string, string]),
  );
  return execa('node', [bin, ...args], {
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '', ...vars },
  });
}

describe.skipIf(!root)('lab up: names, isolation, teardown (netns, root)', () => {
  let sb: LabSandbox;
  beforeAll(() => {
    sb = labSandbox();
  });
  afterAll(async () => {
    await sb?.cleanup();
  });

  it('two labs at once, by name; a second up of a running name is refused; Ctrl-C on one spares the other', async () => {
    const a = sb.up(['--name', 'a', '--hosts', '1', '--dhcp']);
    const b = sb.up(['--name', 'b', '--hosts', '1', '--no-agents']);
    await Promise.all([a.ready, b.ready]);
    // in-process (each CLI process costs seconds here); `lab status --json` is this same function
    const status = async (name: string): Promise<LabStatus> => {
      const found = await findLab(name, sb.labsDir, sb.env);
      if (!found) throw new Error(`no lab ${name}`);
      return labStatus(found);
    };
    const [sa, sbb] = [await status('a'), await status('b')];
    expect(sa.running && sbb.running).toBe(true);
    expect(sa.namespaces.every((ns) => ns.startsWith(`${sb.prefix}-a-`))).toBe(true);
    expect(sbb.namespaces.every((ns) => ns.startsWith(`${sb.prefix}-b-`))).toBe(true);
    expect(sa.apiUrl).not.toBe(sbb.apiUrl);
    expect(sa.temporalAddress).not.toBe(sbb.temporalAddress);
    expect(sa.hosts.map((h) => h.hostId)).toEqual(['edge-1']); // stable: no random suffix
    const tokenA = readFileSync(sa.tokenFile!, 'utf8');
    expect(tokenA).not.toBe(readFileSync(sbb.tokenFile!, 'utf8'));

    // README's CLI reaches lab a through the `lab env` line; lab a's token is refused by lab b's API
    const hosts = await cliWithLabEnv(sb, 'a', ['hosts', '--json']);
    expect(hosts.exitCode).toBe(0);
    expect(JSON.parse(String(hosts.stdout)).map((h: { hostId: string }) => h.hostId)).toEqual(['edge-1']);
    const cross = await execa('node', [bin, 'hosts', '--api', sbb.apiUrl!, '--token-file', sa.tokenFile!], {
      reject: false,
    });
    expect(cross.exitCode).not.toBe(0);
    expect(String(cross.stderr)).toContain('401');

    // a second `up` of a running name: refused, and lab a is untouched
    const again = await sb.lab(['up', '--name', 'a', '--hosts', '1']);
    expect(again.code).toBe(LAB_EXIT.conflict);
    expect(again.stderr).toContain("lab 'a' is already running");
    expectNoStack(again.stderr);
    expect(readFileSync(sa.tokenFile!, 'utf8')).toBe(tokenA);
    expect((await status('a')).ownerPid).toBe(sa.ownerPid);

    // Ctrl-C on b: b is gone, a keeps its state, its processes and its API
    b.child.kill('SIGINT');
    expect((await b.child).exitCode).toBe(0);
    expect(await sb.namespaces()).toEqual(expect.not.arrayContaining(sbb.namespaces));
    expect(existsSync(labPaths('b', sb.labsDir, sb.env).stateDir)).toBe(false);
    expect(sbb.processes.filter((p) => isAlive(p.pid))).toEqual([]);
    const after = await status('a');
    expect(readLabStateFile(stateFile(after.stateDir))?.hosts.map((h) => h.hostId)).toEqual(['edge-1']);
    expect(after.running).toBe(true);
    expect(after.processes.filter((p) => !p.alive)).toEqual([]);
    expect((await cliWithLabEnv(sb, 'a', ['hosts'])).exitCode).toBe(0);

    // lab down from another process: everything of a is gone
    const down = await sb.lab(['down', '--name', 'a']);
    expect(down.code).toBe(0);
    expect((await a.child).exitCode).toBe(0);
    expect(await sb.namespaces()).toEqual([]);
    await waitFor('lab a processes gone', async () => !sa.processes.some((p) => isAlive(p.pid)), {
      timeoutMs: 10_000,
    });
  }, 300_000);

  it('a failure half-way (an agent that cannot start) removes everything up made, exit 1, no stack', async () => {
    const paths = labPaths('broken', sb.labsDir, sb.env);
    const pids = collectPids(stateFile(paths.stateDir));
    const r = await sb.lab(['up', '--name', 'broken', '--hosts', '1', '--dhcp'], {
      EDGE_OVERLAY_AGENT_NODE_FLAGS: '--no-such-node-flag',
    });
    const seen = pids.stop();
    expect(r.code).toBe(LAB_EXIT.failed);
    expect(r.stderr).toContain('the agent of edge-1 exited');
    expectNoStack(r.stderr);
    // it got as far as DHCP, the forwarders, Temporal and the broker
    expect(seen.size).toBeGreaterThanOrEqual(7);
    expect(await sb.namespaces()).toEqual([]);
    expect([...seen].filter(isAlive)).toEqual([]);
    expect(existsSync(paths.registryFile)).toBe(false);
    expect(existsSync(join(paths.stateDir, 'lab.json'))).toBe(false);
    expect(existsSync(join(paths.stateDir, 'control.log'))).toBe(true); // kept to tell why
  }, 180_000);

  it('Ctrl-C while starting: exit 130, nothing left', async () => {
    const paths = labPaths('interrupted', sb.labsDir, sb.env);
    const pids = collectPids(stateFile(paths.stateDir));
    const up = sb.up(['--name', 'interrupted', '--hosts', '1']);
    await waitFor('the control plane starting', async () => existsSync(join(paths.stateDir, 'control.log')), {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    up.child.kill('SIGINT');
    const r = await up.child;
    const seen = pids.stop();
    expect(r.exitCode).toBe(LAB_EXIT.interrupted);
    expect(up.output()).toContain('interrupted while starting');
    expectNoStack(up.output());
    expect(await sb.namespaces()).toEqual([]);
    expect([...seen].filter(isAlive)).toEqual([]);
  }, 120_000);
});
