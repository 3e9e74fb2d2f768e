// A host removed from its cluster while its agent is stopped: when the agent comes back (and first
// re-applies the old overlay from its state file), its registration answer no longer names the cluster,
// so it tears the overlay and the VIP down. The real flow: agents as processes in host namespaces over
// the underlay, the real control worker and cluster workflow on the test run's Temporal server.
// Also: an agent whose state file is zero bytes at boot sets it aside and runs on (no crash loop).
import type { Client, WorkflowHandle } from '@temporalio/client';
import { execa } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/dev/process.js';
import { CONTROL_TASK_QUEUE } from '../../src/domain/constants.js';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import type { ClusterView } from '../../src/domain/types.js';
import {
  type ClusterInput,
  clusterStatusQuery,
  clusterWorkflowType,
  removeHostUpdate,
} from '../../src/contract/workflow-messages.js';
import type { ControlForwarder } from '../../src/lab/control-forwarder.js';
import { type NetnsProcess, spawnInNetns, stopPid } from '../../src/lab/netns.js';
import { getHost } from '../../src/temporal/hosts.js';
import { createLab, type Lab, notRoot } from '../helpers/netns-lab.js';
import { type ControlPlane, forwardTemporal, startControlPlane } from './support.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const stateFile = 'agent-state.json';

describe.skipIf(notRoot('removed host tears down on reconnect'))('agent of a removed host (netns)', () => {
  let lab: Lab;
  let fwd: ControlForwarder;
  let control: ControlPlane;
  let client: Client;
  let cluster: WorkflowHandle | undefined;
  let ids: string[];
  const dirs: string[] = [];
  const agents = new Map<number, NetnsProcess>();
  const logOf = (i: number) => readFileSync(join(dirs[i]!, 'agent.log'), 'utf8');
  const links = async (i: number) =>
    (await execa('ip', ['-n', lab.hosts[i]!.ns, '-o', 'link', 'show'])).stdout;
  const addrs = async (i: number) =>
    (await execa('ip', ['-n', lab.hosts[i]!.ns, '-4', '-o', 'addr', 'show'])).stdout;

  const startAgentIn = async (i: number) => {
    const h = lab.hosts[i]!;
    const proc = await spawnInNetns(
      h.ns,
      process.execPath,
      [join(repo, 'bin/edge-overlay.js'), 'agent', '--host-id', ids[i]!, '--underlay-iface', h.iface].concat([
        '--temporal',
        fwd.address,
        '--state-dir',
        dirs[i]!,
        '--heartbeat-interval',
        '2',
      ]),
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, EDGE_OVERLAY_LOG_FORMAT: 'json' },
        logFile: join(dirs[i]!, 'agent.log'),
      },
    );
    lab.processes.push({ pid: proc.pid });
    agents.set(i, proc);
    return proc;
  };
  /** True while the process has not exited (systemd would restart a crashed agent in a loop). */
  const running = (p: NetnsProcess) =>
    Promise.race([p.exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 200))]);
  const view = () => cluster!.query(clusterStatusQuery) as Promise<ClusterView>;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2, control: true });
    // unique ids: other test files register hosts on the same server
    ids = [`rm-${lab.id}-a`, `rm-${lab.id}-b`];
    for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), 'eo-removed-')));
    fwd = await forwardTemporal(lab);
    control = await startControlPlane();
    client = control.client;
  });

  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => stopPid(a.pid, { graceMs: 5000 })));
    await cluster?.terminate('test over').catch(() => undefined);
    await control?.stop();
    await fwd?.stop();
    await lab?.cleanup();
    for (const d of dirs) {
      if (process.env.EO_AGENT_LOGS) console.log(logOf(dirs.indexOf(d)).slice(-6000));
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('an agent whose state file is zero bytes starts, sets it aside with a warning and registers', async () => {
    writeFileSync(join(dirs[1]!, stateFile), '');
    for (let i = 0; i < 2; i++) await startAgentIn(i);
    for (let i = 0; i < 2; i++)
      await waitFor(`${ids[i]} registered`, async () => (await getHost(client, ids[i]!)) !== null, {
        timeoutMs: 30_000,
      });
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
      // a stopped host's teardown gives up after 5 s (default 120 s)
      options: { hostActivityTimeoutMs: 5_000 },
    };
    cluster = await client.workflow.start(clusterWorkflowType, {
      workflowId: clusterWorkflowId(name),
      taskQueue: CONTROL_TASK_QUEUE,
      args: [input],
    });
    await waitFor(
      'cluster Ready with a VIP holder',
      async () => {
        const v = await view();
        return v.phase === 'Ready' && v.vipHolder !== null;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    // remove the VIP holder: its overlay and VIP are what must go
    const v = await view();
    const i = ids.indexOf(v.vipHolder!);
    expect(await addrs(i)).toContain(`${v.vip}/32`);
    expect(JSON.parse(readFileSync(join(dirs[i]!, stateFile), 'utf8'))).toMatchObject({
      overlay: { spec: { clusterName: name } },
      vipHeld: true,
    });

    const agent = agents.get(i)!;
    process.kill(agent.pid, 'SIGTERM');
    expect(await agent.exited).toBe(0);
    await cluster.executeUpdate(removeHostUpdate, { args: [{ hostId: ids[i]! }] });
    await waitFor(
      'host released by the cluster',
      async () => (await getHost(client, ids[i]!))?.cluster === null,
      {
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    // nothing reached the stopped host: its overlay is still there
    expect(await links(i)).toMatch(/vxlan100/);

    const logStart = logOf(i).length;
    await startAgentIn(i);
    const saved = () => JSON.parse(readFileSync(join(dirs[i]!, stateFile), 'utf8'));
    await waitFor(
      'overlay gone and state cleared',
      async () => !/vxlan100|scbr-100/.test(await links(i)) && saved().overlay === null,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(await addrs(i)).not.toContain(v.vip);
    expect(logOf(i).slice(logStart)).toMatch(/no longer counts this host in cluster/);
    expect(saved()).toMatchObject({
      overlay: null,
      peers: [],
      vipHeld: false,
    });
    expect(await running(agents.get(i)!)).toBe(true);
    // the remaining member keeps its overlay
    expect(await links(1 - i)).toMatch(/vxlan100/);
  }, 180_000);
});
