// A host removed from its cluster while its agent is stopped (issue 11 point 7, over the v2 channel): the
// teardown command the cluster sends expires in the stopped agent's broker session, the control plane
// releases the host and publishes its membership (retained: cluster null); when the agent comes back (and
// first re-applies the old overlay from its state file) it reads that message and tears the overlay and
// the VIP down. Real parts: agent processes in host namespaces over the underlay, the control plane with
// its broker and its own Temporal. Also: a zero-byte state file at boot is set aside (no crash loop).
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../src/cli/api-client.js';
import { waitFor } from '../../src/dev/process.js';
import { CONTROL_TASK_QUEUE } from '../../src/domain/constants.js';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import {
  type ClusterInput,
  clusterWorkflowType,
  removeHostUpdate,
} from '../../src/contract/workflow-messages.js';
import { type NetnsProcess, stopPid } from '../../src/lab/netns.js';
import { createLab, type Lab, notRoot } from '../helpers/netns-lab.js';
import {
  type AgentTestPlane,
  forwardControlPlane,
  joinTokenFile,
  spawnAgent,
  startAgentTestPlane,
  type UnderlayAccess,
} from './support.js';

const stateFile = 'agent-state.json';
/** The removal's teardown gives up after this (default 120 s); its command expires in the session. */
const HOST_ACTIVITY_TIMEOUT_MS = 5_000;

describe.skipIf(notRoot('removed host tears down on reconnect'))('agent of a removed host (netns)', () => {
  let lab: Lab;
  let t: AgentTestPlane;
  let access: UnderlayAccess;
  let ids: string[];
  let work: string;
  const dirs: string[] = [];
  const agents = new Map<number, NetnsProcess>();
  const logFile = (i: number) => join(work, `agent-${i}.log`);
  const logOf = (i: number) => readFileSync(logFile(i), 'utf8');
  const links = async (i: number) =>
    (await execa('ip', ['-n', lab.hosts[i]!.ns, '-o', 'link', 'show'])).stdout;
  const addrs = async (i: number) =>
    (await execa('ip', ['-n', lab.hosts[i]!.ns, '-4', '-o', 'addr', 'show'])).stdout;

  const startAgentIn = async (i: number, withToken: boolean) => {
    const tokenFile = withToken ? await joinTokenFile(t.api, ids[i]!, work) : undefined;
    const proc = await spawnAgent(lab, lab.hosts[i]!.ns, {
      hostId: ids[i]!,
      stateDir: dirs[i]!,
      access,
      logFile: logFile(i),
      ...(tokenFile ? { tokenFile } : {}),
    });
    agents.set(i, proc);
    return proc;
  };
  /** True while the process has not exited (systemd would restart a crashed agent in a loop). */
  const running = (p: NetnsProcess) =>
    Promise.race([p.exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 200))]);
  const hostRecord = async (id: string) => (await t.api.listHosts()).find((h) => h.hostId === id);

  beforeAll(async () => {
    lab = await createLab({ hosts: 2, control: true });
    ids = [`rm-${lab.id}-a`, `rm-${lab.id}-b`];
    work = mkdtempSync(join(tmpdir(), 'eo-removed-'));
    for (let i = 0; i < 2; i++) dirs.push(join(work, `state-${i}`));
    t = await startAgentTestPlane({ advertise: `${lab.ctl!.ip}:8883` });
    access = await forwardControlPlane(lab, t.plane);
  });

  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => stopPid(a.pid, { graceMs: 5000 })));
    await t?.stop();
    await lab?.cleanup();
    if (process.env['EO_AGENT_LOGS']) for (let i = 0; i < 2; i++) console.log(logOf(i).slice(-6000));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('an agent whose state file is zero bytes starts, sets it aside with a warning and enrolls', async () => {
    // the state dir exists already, with an empty state file in it (as after a crash mid-write)
    mkdirSync(dirs[1]!, { mode: 0o700 });
    writeFileSync(join(dirs[1]!, stateFile), '');
    for (let i = 0; i < 2; i++) await startAgentIn(i, true);
    for (let i = 0; i < 2; i++)
      await waitFor(
        `${ids[i]} enrolled and reported`,
        async () => (await hostRecord(ids[i]!)) !== undefined,
        {
          timeoutMs: 30_000,
        },
      );
    expect(await running(agents.get(1)!)).toBe(true);
    expect(readdirSync(dirs[1]!).filter((n) => n.startsWith(`${stateFile}.corrupt-`))).toHaveLength(1);
    expect(logOf(1)).toMatch(/state file unusable: moved aside/);
  });

  it('removed while its agent is stopped: on restart the agent tears the overlay and VIP down', async () => {
    const name = `rm-${lab.id}`;
    const input: ClusterInput = {
      name,
      overlayCidr: '100.64.195.0/24',
      vni: 100,
      mode: 'unicast',
      hosts: ids.map((hostId) => ({ hostId, role: 'control-plane' as const })),
      options: { hostActivityTimeoutMs: HOST_ACTIVITY_TIMEOUT_MS },
    };
    const cluster = await t.client.workflow.start(clusterWorkflowType, {
      workflowId: clusterWorkflowId(name),
      taskQueue: CONTROL_TASK_QUEUE,
      args: [input],
    });
    let v: ClusterStatus | undefined;
    await waitFor(
      'cluster Ready with a VIP holder',
      async () => {
        v = await t.api.getCluster(name);
        return v.phase === 'Ready' && v.vipHolder !== null;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    // remove the VIP holder: its overlay and VIP are what must go
    const i = ids.indexOf(v!.vipHolder!);
    await waitFor('the VIP on its holder', async () => (await addrs(i)).includes(`${v!.vip}/32`), {
      timeoutMs: 10_000,
    });
    // the site election's policy, never who holds the VIP (the kernel says that)
    expect(JSON.parse(readFileSync(join(dirs[i]!, stateFile), 'utf8'))).toMatchObject({
      overlay: { spec: { clusterName: name } },
      vipPolicy: { voters: expect.arrayContaining([ids[i]]) },
      vipHeld: false,
    });

    const agent = agents.get(i)!;
    process.kill(agent.pid, 'SIGTERM');
    expect(await agent.exited).toBe(0);
    const removedAt = Date.now();
    await cluster.executeUpdate(removeHostUpdate, { args: [{ hostId: ids[i]! }] });
    await waitFor('host released by the cluster', async () => (await hostRecord(ids[i]!))?.cluster === null, {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    // nothing reached the stopped host: its overlay is still there
    expect(await links(i)).toMatch(/vxlan100/);
    // the teardown and releaseVip commands queued in its session are past their deadline by now
    const sinceRemoval = Date.now() - removedAt;
    if (sinceRemoval < HOST_ACTIVITY_TIMEOUT_MS + 1000)
      await new Promise((r) => setTimeout(r, HOST_ACTIVITY_TIMEOUT_MS + 1000 - sinceRemoval));

    const logStart = logOf(i).length;
    await startAgentIn(i, false); // enrolled: it runs on its own certificate
    const saved = () => JSON.parse(readFileSync(join(dirs[i]!, stateFile), 'utf8'));
    await waitFor(
      'overlay gone and state cleared',
      async () => !/vxlan100|scbr-100/.test(await links(i)) && saved().overlay === null,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const newLog = logOf(i).slice(logStart);
    expect(newLog).toMatch(/overlay re-applied from state file/);
    expect(newLog).toMatch(/no longer counts this host in cluster/);
    expect(await addrs(i)).not.toContain(v!.vip);
    expect(saved()).toMatchObject({ overlay: null, peers: [], vipHeld: false });
    expect(await running(agents.get(i)!)).toBe(true);
    // the remaining member keeps its overlay
    expect(await links(1 - i)).toMatch(/vxlan100/);
    await cluster.terminate('test over').catch(() => undefined);
  }, 180_000);
});
