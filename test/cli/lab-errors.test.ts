// The lab's user errors end in one message and the documented exit code (README "Lab"), never a stack trace;
// `lab down --all` finds a lab whose state dir (and even registry record) is gone. Labs without a control
// plane here (createLab + recorded processes): the full `lab up` is in lab-up.test.ts.
import { existsSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/dev/process.js';
import { LAB_EXIT } from '../../src/lab/errors.js';
import { createLab, trackPid } from '../../src/lab/lab.js';
import { labPaths } from '../../src/lab/names.js';
import { isAlive, spawnInNetns } from '../../src/lab/netns.js';
import type { LabState } from '../../src/lab/state.js';
import { notRoot } from '../helpers/netns-lab.js';
import { runCli } from './helper.js';
import { bin, expectNoStack, type LabSandbox, labSandbox } from './lab-support.js';
import { execa } from 'execa';

const root = !notRoot('test/cli/lab-errors.test.ts');

/** A lab with namespaces and recorded processes but no `lab up` (as one whose lab up was killed). */
async function bareLab(sb: LabSandbox, name: string, o: { dhcp?: boolean } = {}): Promise<LabState> {
  const paths = labPaths(name, sb.labsDir, sb.env);
  const state = await createLab({
    hosts: 1,
    dhcp: o.dhcp ?? false,
    runDir: paths.stateDir,
    nsPrefix: paths.nsPrefix,
    name,
    registryFile: paths.registryFile,
  });
  // one process inside a lab namespace, one in the root namespace (as Temporal and the broker are)
  const inNs = await spawnInNetns(state.hosts[0]!.ns, 'sleep', ['600']);
  trackPid(state, { pid: inNs.pid, comm: 'sleep' });
  const inRoot = execa('sleep', ['600'], { detached: true, reject: false });
  trackPid(state, { pid: inRoot.pid!, comm: 'sleep' });
  return state;
}

describe.skipIf(!root)('lab user errors and orphans (netns, root)', () => {
  let sb: LabSandbox;
  // the quick cases run the CLI in-process (runCli): this file's worker takes the sandbox's prefix
  const inProcess = (args: string[]) => runCli(['lab', ...args, '--labs-dir', sb.labsDir]);
  beforeAll(() => {
    sb = labSandbox();
    process.env.EDGE_OVERLAY_LAB_PREFIX = sb.env.EDGE_OVERLAY_LAB_PREFIX;
    process.env.EDGE_OVERLAY_LAB_REGISTRY = sb.env.EDGE_OVERLAY_LAB_REGISTRY;
  });
  afterAll(async () => {
    await sb?.cleanup();
  });

  it.each([
    [['down'], 'nothing to tear down'],
    [['outage'], 'lab up --dhcp'],
    [['env'], 'lab up'],
    [['status'], 'no state dir'],
  ])('lab %s with no lab: exit 3 and one line', async (args, hint) => {
    const r = await inProcess([...args, '--name', 'nolab']);
    expect(r.code).toBe(LAB_EXIT.notFound);
    expect(r.stderr).toContain("no lab named 'nolab'");
    expect(r.stderr).toContain(hint);
    expectNoStack(r.stderr);
  });

  it('lab status --all and lab down --all with no lab: empty, exit 0', async () => {
    const st = await inProcess(['status', '--all', '--json']);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout)).toEqual([]);
    expect((await inProcess(['down', '--all'])).code).toBe(0);
  });

  it('lab up as non-root: exit 2, says to run it as root, makes nothing', async () => {
    const r = await execa(
      'setpriv',
      [
        '--reuid',
        '65534',
        '--regid',
        '65534',
        '--clear-groups',
        'node',
        bin,
        'lab',
        'up',
        '--hosts',
        '1',
        '--labs-dir',
        sb.labsDir,
      ],
      { reject: false, extendEnv: false, env: sb.env },
    );
    expect(r.exitCode).toBe(LAB_EXIT.usage);
    expect(r.stderr).toContain('run it as root');
    expectNoStack(String(r.stderr));
    expect(await sb.namespaces()).toEqual([]);
  });

  it('lab up with a taken --api-port: exit 4 before anything is made', async () => {
    const held: Server = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    const port = (held.address() as { port: number }).port;
    try {
      const r = await sb.lab(['up', '--hosts', '1', '--name', 'ported', '--api-port', String(port)]);
      expect(r.code).toBe(LAB_EXIT.conflict);
      expect(r.stderr).toContain(`port ${port}`);
      expect(r.stderr).toContain('--api-port');
      expectNoStack(r.stderr);
      expect(await sb.namespaces()).toEqual([]);
      expect(existsSync(labPaths('ported', sb.labsDir, sb.env).stateDir)).toBe(false);
    } finally {
      held.close();
    }
  });

  it('lab outage in a static lab: exit 2; lab up of a name whose namespaces exist: exit 4; lab down removes it', async () => {
    const state = await bareLab(sb, 'static');
    const pids = state.extra.map((p) => p.pid);
    const outage = await sb.lab(['outage', '--name', 'static']);
    expect(outage.code).toBe(LAB_EXIT.usage);
    expect(outage.stderr).toContain('needs a DHCP lab');
    expectNoStack(outage.stderr);

    const again = await sb.lab(['up', '--hosts', '1', '--name', 'static']);
    expect(again.code).toBe(LAB_EXIT.conflict);
    expect(again.stderr).toContain('lab down --name static');
    expectNoStack(again.stderr);
    expect(pids.every(isAlive)).toBe(true); // the refused `up` touched nothing

    const down = await sb.lab(['down', '--name', 'static', '--json']);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout).stopped).toEqual(expect.arrayContaining(pids));
    expect(await sb.namespaces()).toEqual([]);
    await waitFor('recorded PIDs gone', async () => !pids.some(isAlive), { timeoutMs: 5000 });
  });

  it('lab down --all removes labs whose state dir (and registry record) is gone: recorded PIDs, then namespace prefix', async () => {
    const a = await bareLab(sb, 'orphan-a');
    const b = await bareLab(sb, 'orphan-b');
    rmSync(a.runDir, { recursive: true, force: true }); // the registry copy still names its PIDs
    rmSync(b.runDir, { recursive: true, force: true });
    rmSync(b.registryFile!, { force: true }); // only its namespaces are left
    const [aRoot, bInNs, bRoot] = [a.extra[1]!.pid, b.extra[0]!.pid, b.extra[1]!.pid];
    expect((await sb.namespaces()).length).toBe(8);

    const status = await sb.lab(['status', '--all', '--json']);
    expect(JSON.parse(status.stdout).map((s: { name: string }) => s.name)).toEqual(['orphan-a', 'orphan-b']);

    const r = await sb.lab(['down', '--all', '--json']);
    expect(r.code).toBe(0);
    expect(await sb.namespaces()).toEqual([]);
    await waitFor('orphans stopped', async () => !isAlive(aRoot) && !isAlive(bInNs), { timeoutMs: 5000 });
    // b's root-namespace process had no record left anywhere: nothing may find it by name
    expect(isAlive(bRoot)).toBe(true);
    process.kill(bRoot, 'SIGKILL');
  });
});
