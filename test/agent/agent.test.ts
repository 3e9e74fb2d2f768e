// Agents as real processes inside host namespaces, reaching the harness's Temporal server OVER THE
// UNDERLAY through the control forwarder: registration, activities driven by a workflow, underlay
// change reports, SIGTERM, and re-apply from the state file while Temporal is unreachable.
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceMac } from '../../src/activities/host/index.js';
import { waitFor } from '../../src/dev/process.js';
import type { OverlaySpec, Peer } from '../../src/domain/types.js';
import type { ControlForwarder } from '../../src/lab/control-forwarder.js';
import { type NetnsProcess, spawnInNetns, stopPid } from '../../src/lab/netns.js';
import { getHost } from '../../src/temporal/hosts.js';
import { claimHostUpdate, setHostClusterSignal } from '../../src/contract/workflow-messages.js';
import { hostWorkflowId } from '../../src/domain/ids.js';
import type { HostStep } from '../fixtures/host-agent-workflows.js';
import { createLab, notRoot, type Lab } from '../helpers/netns-lab.js';
import { testWorker, uniqueTaskQueue } from '../helpers/temporal.js';
import { type ControlPlane, forwardTemporal, startControlPlane } from './support.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const spec: OverlaySpec = {
  clusterName: 'agents',
  overlayCidr: '100.64.194.0/24',
  prefixLength: 24,
  vni: 100,
  mode: 'unicast',
  port: 4789,
  vip: '100.64.194.1',
};
const ovIp = (i: number) => `100.64.194.${10 + i}`;

describe.skipIf(notRoot('agent in network namespaces'))('agent in network namespaces', () => {
  let lab: Lab;
  let fwd: ControlForwarder;
  let control: ControlPlane;
  let client: Client;
  let drive: (steps: HostStep[]) => Promise<unknown[]>;
  let stopDriver: () => Promise<void>;
  const stateDirs: string[] = [];
  const agents = new Map<string, NetnsProcess>();

  const startAgentIn = async (i: number, temporal: string, extraArgs: string[] = []) => {
    const h = lab.hosts[i]!;
    const proc = await spawnInNetns(
      h.ns,
      process.execPath,
      [
        join(repo, 'bin/edge-overlay.js'),
        'agent',
        '--host-id',
        h.name,
        '--underlay-iface',
        h.iface,
        '--temporal',
        temporal,
        '--state-dir',
        stateDirs[i]!,
        ...extraArgs,
      ],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          EDGE_OVERLAY_LOG_FORMAT: 'json',
          EDGE_OVERLAY_LOG_LEVEL: 'info',
        },
        logFile: join(stateDirs[i]!, 'agent.log'),
      },
    );
    lab.processes.push({ pid: proc.pid });
    agents.set(h.name, proc);
    return proc;
  };
  const peers = (): Peer[] =>
    lab.hosts.map((h, i) => ({ hostId: h.name, underlayIp: h.underlayIp, overlayIp: ovIp(i + 1) }));

  beforeAll(async () => {
    lab = await createLab({ hosts: 2, control: true });
    for (let i = 0; i < 2; i++) stateDirs.push(mkdtempSync(join(tmpdir(), 'eo-agent-')));
    fwd = await forwardTemporal(lab);
    control = await startControlPlane();
    client = control.client;
    const taskQueue = uniqueTaskQueue('agent-drive');
    const { worker, close } = await testWorker({
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../fixtures/host-agent-workflows.ts', import.meta.url)),
    });
    const running = worker.run();
    stopDriver = async () => {
      worker.shutdown();
      await running;
      await close();
    };
    drive = (steps) =>
      client.workflow.execute('driveHostsWorkflow', {
        taskQueue,
        workflowId: uniqueTaskQueue('drive'),
        args: [steps],
      });
    for (let i = 0; i < 2; i++) await startAgentIn(i, fwd.address);
  });

  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => stopPid(a.pid, { graceMs: 5000 })));
    for (const h of lab?.hosts ?? [])
      await client?.workflow
        .getHandle(hostWorkflowId(h.name))
        .signal(setHostClusterSignal, { cluster: null, from: spec.clusterName })
        .catch(() => undefined);
    await stopDriver?.();
    await control?.stop();
    await fwd?.stop();
    await lab?.cleanup();
    for (const d of stateDirs) {
      // EO_AGENT_LOGS=1 prints what the agents logged (debugging a failure)
      if (process.env.EO_AGENT_LOGS) console.log(readFileSync(join(d, 'agent.log'), 'utf8').slice(-6000));
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('each agent registers its underlay address and kernel facts over the underlay', async () => {
    for (const h of lab.hosts)
      await waitFor(
        `${h.name} registered`,
        async () => (await getHost(client, h.name))?.underlayIp === h.underlayIp,
        { timeoutMs: 30_000 },
      );
    const rec = await getHost(client, 'h1');
    expect(rec).toMatchObject({ hostId: 'h1', underlayIp: lab.hosts[0]!.underlayIp, underlayIface: 'eth0' });
    expect(rec?.labels?.['edge-overlay/vxlan']).toBe('true');
    // the registry counts both hosts in the cluster the tests drive (an agent tears down the overlay of
    // a cluster its registration answer does not name: see removed-host.test.ts)
    for (const h of lab.hosts)
      await client.workflow
        .getHandle(hostWorkflowId(h.name))
        .executeUpdate(claimHostUpdate, { args: [{ cluster: spec.clusterName }] });
  });

  it('a workflow drives the host activities on host/<id>: the overlay comes up and carries pings', async () => {
    const results = await drive([
      { hostId: 'h1', activity: 'preflight' },
      { hostId: 'h1', activity: 'applyOverlay', input: { spec, overlayIp: ovIp(1) } },
      { hostId: 'h2', activity: 'applyOverlay', input: { spec, overlayIp: ovIp(2) } },
      { hostId: 'h1', activity: 'setPeers', input: { spec, peers: peers() } },
      { hostId: 'h2', activity: 'setPeers', input: { spec, peers: peers() } },
      { hostId: 'h1', activity: 'probePeers', input: { targets: [ovIp(2)], count: 2 } },
      { hostId: 'h1', activity: 'applyOverlay', input: { spec, overlayIp: ovIp(1) } },
    ]);
    expect(results[0]).toMatchObject({ hostId: 'h1', underlayIp: lab.hosts[0]!.underlayIp, problems: [] });
    expect(results[1]).toMatchObject({ changed: true, mac: deviceMac('h1', 'bridge'), mtu: 1450 });
    expect(results[3]).toEqual({ added: 1, removed: 0 });
    expect(results[5]).toMatchObject({ reachable: [ovIp(2)], lost: 0 });
    expect(results[6]).toMatchObject({ changed: false });
    const link = JSON.parse(
      (await execa('ip', ['-n', lab.hosts[0]!.ns, '-j', '-d', 'link', 'show', 'dev', 'vxlan100'])).stdout,
    )[0];
    expect(link).toMatchObject({ master: 'scbr-100', mtu: 1450 });
    const fdb = JSON.parse(
      (await execa('bridge', ['-n', lab.hosts[0]!.ns, '-j', 'fdb', 'show', 'dev', 'vxlan100'])).stdout,
    );
    expect(fdb).toContainEqual(
      expect.objectContaining({ mac: '00:00:00:00:00:00', dst: lab.hosts[1]!.underlayIp }),
    );
  });

  it('an underlay address change is re-registered quickly, and setPeers on the peer heals the overlay', async () => {
    const h2 = lab.hosts[1]!;
    const newIp = `${lab.subnet}.77`;
    const t0 = Date.now();
    await execa('ip', ['-n', h2.ns, 'addr', 'del', `${h2.underlayIp}/24`, 'dev', 'eth0']);
    await execa('ip', ['-n', h2.ns, 'addr', 'add', `${newIp}/24`, 'dev', 'eth0']);
    h2.underlayIp = newIp;
    await waitFor('h2 re-registered', async () => (await getHost(client, 'h2'))?.underlayIp === newIp, {
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    console.log(`[agent test] underlay change seen by Temporal after ${Date.now() - t0} ms`);
    const [set, probe] = await drive([
      { hostId: 'h1', activity: 'setPeers', input: { spec, peers: peers() } },
      { hostId: 'h1', activity: 'probePeers', input: { targets: [ovIp(2)], count: 2 } },
    ]);
    expect(set).toEqual({ added: 1, removed: 1 });
    expect(probe).toMatchObject({ lost: 0 });
  });

  it('SIGTERM stops the agent cleanly and leaves the overlay up', async () => {
    const a = agents.get('h1')!;
    process.kill(a.pid, 'SIGTERM');
    expect(await a.exited).toBe(0);
    const addrs = (await execa('ip', ['-n', lab.hosts[0]!.ns, '-4', '-o', 'addr', 'show', 'dev', 'scbr-100']))
      .stdout;
    expect(addrs).toContain(ovIp(1));
  });

  it('after a "reboot" the agent re-applies the overlay from its state file while Temporal is unreachable', async () => {
    const h1 = lab.hosts[0]!;
    const state = JSON.parse(readFileSync(join(stateDirs[0]!, 'agent-state.json'), 'utf8'));
    expect(state).toMatchObject({ hostId: 'h1', overlay: { overlayIp: ovIp(1) }, peers: peers() });
    await execa('ip', ['-n', h1.ns, 'link', 'del', 'vxlan100']);
    await execa('ip', ['-n', h1.ns, 'link', 'del', 'scbr-100']);
    // nothing listens on port 1 of the control address: the control plane is away
    await startAgentIn(0, `${lab.ctl!.ip}:1`);
    // the address comes first (applyOverlay), the peer table right after it (setPeers)
    await waitFor(
      'overlay and peer table re-applied',
      async () => {
        const res = await execa('ip', ['-n', h1.ns, '-4', '-o', 'addr', 'show', 'dev', 'scbr-100'], {
          reject: false,
        });
        const fdb = await execa('bridge', ['-n', h1.ns, 'fdb', 'show', 'dev', 'vxlan100'], { reject: false });
        return res.stdout.includes(ovIp(1)) && fdb.stdout.includes(`dst ${lab.hosts[1]!.underlayIp} `);
      },
      { timeoutMs: 30_000 },
    );
    const fdb = JSON.parse(
      (await execa('bridge', ['-n', h1.ns, '-j', 'fdb', 'show', 'dev', 'vxlan100'])).stdout,
    );
    expect(fdb).toContainEqual(
      expect.objectContaining({ mac: '00:00:00:00:00:00', dst: lab.hosts[1]!.underlayIp }),
    );
    const ping = await execa('ip', ['netns', 'exec', h1.ns, 'ping', '-n', '-c', '1', '-W', '2', ovIp(2)], {
      reject: false,
    });
    expect(ping.exitCode).toBe(0);
  });

  it('SIGTERM while Temporal calls fail and are being retried still exits 0', async () => {
    const h1 = lab.hosts[0]!;
    const ctlIp = lab.ctl!.ip;
    const logFile = join(stateDirs[0]!, 'agent.log');
    // the previous agent may still be starting (Temporal unreachable): SIGTERM stops it cleanly too
    const previous = agents.get('h1')!;
    process.kill(previous.pid, 'SIGTERM');
    expect(await previous.exited).toBe(0);
    const logStart = readFileSync(logFile, 'utf8').length;
    const newLog = () => readFileSync(logFile, 'utf8').slice(logStart);
    const a = await startAgentIn(0, fwd.address, ['--heartbeat-interval', '1']);
    await waitFor('h1 connected to Temporal', async () => newLog().includes('host worker running'), {
      timeoutMs: 30_000,
    });
    // the control plane becomes unreachable from h1 mid-flight: new connections are refused at once
    // (prohibit route) and the established ones are aborted, so every call fails UNAVAILABLE and the
    // client's gRPC retry interceptor re-sends it from a timer
    await execa('ip', ['-n', h1.ns, 'route', 'add', 'prohibit', `${ctlIp}/32`]);
    try {
      await execa('ip', ['netns', 'exec', h1.ns, 'ss', '-K', '-t', 'dst', ctlIp]);
      await new Promise((r) => setTimeout(r, 2500));
      const t0 = Date.now();
      process.kill(a.pid, 'SIGTERM');
      const code = await a.exited;
      const log = newLog();
      console.log(`[agent test] SIGTERM during retries: exit ${code} after ${Date.now() - t0} ms`);
      expect(log).not.toMatch(/Channel has been shut down/);
      expect(code).toBe(0);
      expect(log).toMatch(/agent stopped/);
    } finally {
      await execa('ip', ['-n', h1.ns, 'route', 'del', 'prohibit', `${ctlIp}/32`], { reject: false });
    }
  }, 60_000);
});
