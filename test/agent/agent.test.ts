// Agents as real processes inside host namespaces, reaching the control plane (API and broker) OVER THE
// UNDERLAY through the control namespace: enrollment with a join token, a cluster brought up by relayed
// commands, underlay change reports, SIGTERM, re-apply from the state file while the control plane is
// unreachable, and stopping while the broker or the API cannot be reached.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/dev/process.js';
import { createClusterAndWait } from '../../src/lab/scenario.js';
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

describe.skipIf(notRoot('agent in network namespaces'))('agent in network namespaces', () => {
  let lab: Lab;
  let t: AgentTestPlane;
  let access: UnderlayAccess;
  let work: string;
  let ids: string[];
  let ovIps: Record<string, string>;
  const tokens = new Map<number, string>();
  const agents = new Map<number, NetnsProcess>();
  const dir = (i: number) => join(work, `state-${i}`);
  const logFile = (i: number) => join(work, `agent-${i}.log`);
  const log = (i: number) => readFileSync(logFile(i), 'utf8');
  const ns = (i: number) => lab.hosts[i]!.ns;

  const startAgentIn = async (i: number, via: UnderlayAccess = access, tokenFile?: string) => {
    const proc = await spawnAgent(lab, ns(i), {
      hostId: ids[i]!,
      stateDir: dir(i),
      access: via,
      logFile: logFile(i),
      ...(tokenFile ? { tokenFile } : {}),
    });
    agents.set(i, proc);
    return proc;
  };
  const fdbDsts = async (i: number): Promise<string[]> =>
    JSON.parse((await execa('bridge', ['-n', ns(i), '-j', 'fdb', 'show', 'dev', 'vxlan100'])).stdout)
      .filter((e: { mac: string }) => e.mac === '00:00:00:00:00:00')
      .map((e: { dst: string }) => e.dst);
  const ping = async (i: number, dst: string) =>
    (await execa('ip', ['netns', 'exec', ns(i), 'ping', '-n', '-c', '1', '-W', '2', dst], { reject: false }))
      .exitCode === 0;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2, control: true });
    ids = [`ag-${lab.id}-1`, `ag-${lab.id}-2`];
    work = mkdtempSync(join(tmpdir(), 'eo-agent-'));
    t = await startAgentTestPlane({ advertise: `${lab.ctl!.ip}:8883` });
    access = await forwardControlPlane(lab, t.plane);
    for (let i = 0; i < 2; i++) {
      tokens.set(i, await joinTokenFile(t.api, ids[i]!, work));
      await startAgentIn(i, access, tokens.get(i));
    }
  });

  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => stopPid(a.pid, { graceMs: 5000 })));
    await t?.stop();
    await lab?.cleanup();
    // EO_AGENT_LOGS=1 prints what the agents logged (debugging a failure)
    if (process.env['EO_AGENT_LOGS']) for (let i = 0; i < 2; i++) console.log(log(i).slice(-6000));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('each agent enrolls with its join token over the underlay and reports its address and kernel facts', async () => {
    await waitFor(
      'both hosts reported',
      async () => {
        const hosts = await t.api.listHosts();
        return lab.hosts.every((h, i) => hosts.find((r) => r.hostId === ids[i])?.underlayIp === h.underlayIp);
      },
      { timeoutMs: 30_000 },
    );
    const rec = (await t.api.listHosts()).find((r) => r.hostId === ids[0]);
    expect(rec).toMatchObject({ underlayIface: 'eth0', cluster: null });
    expect(rec?.labels?.['edge-overlay/vxlan']).toBe('true');
    // its own key, owner only; the join token never reaches its log
    expect(statSync(dir(0)).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir(0), 'host.key')).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokens.get(0)!, 'utf8').trim();
    expect(log(0)).toMatch(/"msg":"enrolled"/);
    expect(log(0)).not.toContain(token);
    // --json: every line is JSON, and one says the agent is ready (it serves commands now)
    await waitFor('the ready line', async () => log(0).includes('"event":"ready"'), { timeoutMs: 10_000 });
    for (const line of log(0).trimEnd().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();
    const ready = log(0)
      .split('\n')
      .find((l) => l.includes('"event":"ready"'));
    expect(JSON.parse(ready!)).toMatchObject({ event: 'ready', hostId: ids[0], reapplied: false });
  });

  it('a cluster created through the API brings the overlay up over relayed commands; it carries pings', async () => {
    const view = await createClusterAndWait(t.api, `ag-${lab.id}`, [
      { hostId: ids[0]!, role: 'control-plane' },
      { hostId: ids[1]!, role: 'control-plane' },
    ]);
    ovIps = Object.fromEntries(view.hosts.map((h) => [h.hostId, h.overlayIp]));
    expect(Object.values(ovIps).every((ip) => ip.startsWith('100.64.192.'))).toBe(true);
    const link = JSON.parse(
      (await execa('ip', ['-n', ns(0), '-j', '-d', 'link', 'show', 'dev', 'vxlan100'])).stdout,
    )[0];
    expect(link).toMatchObject({ master: 'scbr-100', mtu: 1450 });
    expect(await fdbDsts(0)).toEqual([lab.hosts[1]!.underlayIp]);
    expect(await ping(0, ovIps[ids[1]!]!)).toBe(true);
  });

  it('an underlay address change is reported at once, and the peer is reprogrammed', async () => {
    const h2 = lab.hosts[1]!;
    const newIp = `${lab.subnet}.77`;
    const t0 = Date.now();
    await execa('ip', ['-n', h2.ns, 'addr', 'del', `${h2.underlayIp}/24`, 'dev', 'eth0']);
    await execa('ip', ['-n', h2.ns, 'addr', 'add', `${newIp}/24`, 'dev', 'eth0']);
    h2.underlayIp = newIp;
    await waitFor(
      'h2 reported its new address',
      async () => (await t.api.listHosts()).find((r) => r.hostId === ids[1])?.underlayIp === newIp,
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    const seenAt = Date.now();
    await waitFor('h1 reprogrammed', async () => (await fdbDsts(0)).join() === newIp, {
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    console.log(
      `[agent test] underlay change in the host record after ${seenAt - t0} ms, peer reprogrammed after ${Date.now() - t0} ms`,
    );
    expect(await ping(0, ovIps[ids[1]!]!)).toBe(true);
  });

  it('SIGTERM stops the agent cleanly and leaves the overlay up', async () => {
    const a = agents.get(0)!;
    process.kill(a.pid, 'SIGTERM');
    expect(await a.exited).toBe(0);
    expect(log(0)).toContain('{"event":"stopped","signal":"SIGTERM"}');
    const addrs = (await execa('ip', ['-n', ns(0), '-4', '-o', 'addr', 'show', 'dev', 'scbr-100'])).stdout;
    expect(addrs).toContain(ovIps[ids[0]!]);
  });

  it('after a "reboot" the agent re-applies the overlay from its state file while the control plane is unreachable', async () => {
    const state = JSON.parse(readFileSync(join(dir(0), 'agent-state.json'), 'utf8'));
    expect(state).toMatchObject({ hostId: ids[0], overlay: { overlayIp: ovIps[ids[0]!] } });
    await execa('ip', ['-n', ns(0), 'link', 'del', 'vxlan100']);
    await execa('ip', ['-n', ns(0), 'link', 'del', 'scbr-100']);
    // nothing listens on port 1 of the control address: neither API nor broker answers
    const away = { apiUrl: `http://${lab.ctl!.ip}:1`, brokerUrl: `mqtts://${lab.ctl!.ip}:1` };
    await startAgentIn(0, away);
    // the address comes first (applyOverlay), the peer table right after it (setPeers)
    await waitFor(
      'overlay and peer table re-applied',
      async () => {
        const res = await execa('ip', ['-n', ns(0), '-4', '-o', 'addr', 'show', 'dev', 'scbr-100'], {
          reject: false,
        });
        return res.stdout.includes(ovIps[ids[0]!]!) && (await fdbDsts(0).catch(() => [])).length === 1;
      },
      { timeoutMs: 30_000 },
    );
    expect(await fdbDsts(0)).toEqual([lab.hosts[1]!.underlayIp]);
    expect(await ping(0, ovIps[ids[1]!]!)).toBe(true);
  });

  it('SIGTERM while the broker cannot be reached (reconnecting) still exits 0', async () => {
    // the previous agent has been failing to reach the broker all along
    const previous = agents.get(0)!;
    process.kill(previous.pid, 'SIGTERM');
    expect(await previous.exited).toBe(0);
    const logStart = log(0).length;
    const newLog = () => log(0).slice(logStart);
    const a = await startAgentIn(0);
    await waitFor('connected to the broker', async () => newLog().includes('connected to the broker'), {
      timeoutMs: 30_000,
    });
    // the control plane becomes unreachable from h1 mid-flight: new connections are refused at once
    // (prohibit route) and the established ones are aborted, so the session reconnects in a loop
    const ctlIp = lab.ctl!.ip;
    await execa('ip', ['-n', ns(0), 'route', 'add', 'prohibit', `${ctlIp}/32`]);
    try {
      await execa('ip', ['netns', 'exec', ns(0), 'ss', '-K', '-t', 'dst', ctlIp]);
      await new Promise((r) => setTimeout(r, 2500));
      const t0 = Date.now();
      process.kill(a.pid, 'SIGTERM');
      const code = await a.exited;
      console.log(`[agent test] SIGTERM while reconnecting: exit ${code} after ${Date.now() - t0} ms`);
      expect(newLog()).toMatch(/broker connection error|lost the broker/);
      expect(code).toBe(0);
      expect(newLog()).toMatch(/agent stopped/);
    } finally {
      await execa('ip', ['-n', ns(0), 'route', 'del', 'prohibit', `${ctlIp}/32`], { reject: false });
    }
  }, 60_000);

  it('an agent that cannot reach the API to enroll stops on SIGTERM', async () => {
    const id = `ag-${lab.id}-late`;
    const tokenFile = await joinTokenFile(t.api, id, work);
    const logPath = join(work, 'late.log');
    const proc = await spawnAgent(lab, ns(1), {
      hostId: id,
      stateDir: join(work, 'state-late'),
      access: { apiUrl: `http://${lab.ctl!.ip}:1`, brokerUrl: `mqtts://${lab.ctl!.ip}:1` },
      tokenFile,
      logFile: logPath,
    });
    await waitFor('enrollment failing', async () => /enroll/i.test(readFileSync(logPath, 'utf8')), {
      timeoutMs: 20_000,
    });
    const t0 = Date.now();
    process.kill(proc.pid, 'SIGTERM');
    const code = await Promise.race([
      proc.exited,
      new Promise<string>((r) => setTimeout(() => r('hung'), 10_000)),
    ]);
    console.log(`[agent test] SIGTERM while enrolling: ${code} after ${Date.now() - t0} ms`);
    if (code === 'hung') await stopPid(proc.pid, { graceMs: 0 });
    expect(code).toBe(0);
    expect(readFileSync(logPath, 'utf8')).toMatch(/stopped before the agent had started/);
    expect(readFileSync(logPath, 'utf8')).not.toContain(readFileSync(tokenFile, 'utf8').trim());
  }, 60_000);
});
