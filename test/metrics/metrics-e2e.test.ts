// Metrics end to end: a control plane as `dev` runs it (worker + API recording into one registry, served
// on a root-loopback metrics port) and two agents in host namespaces started with --metrics-port, each
// scraped inside its own namespace (its server is on that namespace's loopback, the default). A cluster
// comes up and a host renumbers: the agents count commands, peers, beacons and the peer's reconvergence;
// the control worker counts publishes and results; the API counts the create by route pattern.
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/cli/api-client.js';
import { type ControlPlane, startControlPlane } from '../../src/dev/control-plane.js';
import { freePort, waitFor } from '../../src/dev/process.js';
import { type NetnsProcess, spawnInNetns, stopPid } from '../../src/lab/netns.js';
import { createClusterAndWait } from '../../src/lab/scenario.js';
import { ipv4Schema } from '../../src/domain/validation.js';
import { createApiMetrics } from '../../src/metrics/api-metrics.js';
import { createControlMetrics } from '../../src/metrics/control-metrics.js';
import { Registry } from '../../src/metrics/registry.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/server.js';
import { forwardControlPlane, joinTokenFile, type UnderlayAccess } from '../agent/support.js';
import { createLab, type Lab, notRoot } from '../helpers/netns-lab.js';
import { workflowBundle } from '../helpers/temporal.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const AGENT_METRICS_PORT = 9464;

/** The value of one exact series line (`name{labels}`), or undefined when the page has none. */
function seriesValue(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.skipIf(notRoot('metrics end to end'))('metrics end to end', () => {
  let lab: Lab;
  let work: string;
  let plane: ControlPlane;
  let served: MetricsServer;
  let api: ApiClient;
  let access: UnderlayAccess;
  let ids: string[];
  const agents: NetnsProcess[] = [];
  const ns = (i: number) => lab.hosts[i]!.ns;
  const logFile = (i: number) => join(work, `agent-${i}.log`);
  const scrapeAgent = async (i: number) =>
    (
      await execa('ip', [
        'netns',
        'exec',
        ns(i),
        'curl',
        '-sf',
        `http://127.0.0.1:${AGENT_METRICS_PORT}/metrics`,
      ])
    ).stdout;
  const scrapeControl = async () => (await fetch(served.url)).text();
  const fdbDsts = async (i: number): Promise<string[]> =>
    JSON.parse((await execa('bridge', ['-n', ns(i), '-j', 'fdb', 'show', 'dev', 'vxlan100'])).stdout)
      .filter((e: { mac: string }) => e.mac === '00:00:00:00:00:00')
      .map((e: { dst: string }) => e.dst);

  beforeAll(async () => {
    lab = await createLab({ hosts: 2, control: true });
    ids = [`mx-${lab.id}-1`, `mx-${lab.id}-2`];
    work = mkdtempSync(join(tmpdir(), 'eo-metrics-'));
    const token = randomBytes(24).toString('base64url');
    const registry = new Registry();
    plane = await startControlPlane({
      host: '127.0.0.1',
      apiPort: await freePort(),
      temporalPort: await freePort(),
      uiPort: await freePort(),
      brokerPort: 0,
      brokerAdvertise: `${lab.ctl!.ip}:8883`,
      dataDir: join(work, 'control'),
      namespace: 'default',
      token,
      log: pino({ level: 'silent' }),
      workflowBundle: workflowBundle(),
      metrics: { control: createControlMetrics(registry), api: createApiMetrics(registry) },
    });
    served = await startMetricsServer({ registries: [registry], port: 0 });
    api = new ApiClient({ baseUrl: plane.apiUrl, token });
    access = await forwardControlPlane(lab, plane);
    for (let i = 0; i < 2; i++) {
      const tokenFile = await joinTokenFile(api, ids[i]!, work);
      const proc = await spawnInNetns(
        ns(i),
        process.execPath,
        [
          join(repo, 'bin/edge-overlay.js'),
          'agent',
          ...['--host-id', ids[i]!, '--underlay-iface', 'eth0', '--api', access.apiUrl],
          ...['--broker', access.brokerUrl, '--state-dir', join(work, `state-${i}`)],
          ...['--join-token-file', tokenFile, '--metrics-port', String(AGENT_METRICS_PORT), '--json'],
        ],
        {
          env: { PATH: process.env['PATH'], HOME: process.env['HOME'], EDGE_OVERLAY_LOG_LEVEL: 'info' },
          logFile: logFile(i),
        },
      );
      lab.processes.push({ pid: proc.pid });
      agents.push(proc);
    }
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => stopPid(a.pid, { graceMs: 5000 })));
    await served?.close();
    await plane?.stop();
    await lab?.cleanup();
    if (process.env['EO_AGENT_LOGS'] && work)
      for (let i = 0; i < 2; i++) console.log(readFileSync(logFile(i), 'utf8').slice(-4000));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a cluster comes up: agents, control worker and API count what happened', async () => {
    await waitFor(
      'agents ready',
      async () => [0, 1].every((i) => readFileSync(logFile(i), 'utf8').includes('"event":"ready"')),
      {
        timeoutMs: 60_000,
      },
    );
    const ready = JSON.parse(
      readFileSync(logFile(0), 'utf8')
        .split('\n')
        .find((l) => l.includes('"event":"ready"'))!,
    );
    expect(ready.metricsUrl).toBe(`http://127.0.0.1:${AGENT_METRICS_PORT}/metrics`);
    // "ready" says the agent serves commands; its underlay report (which registers the host) may still be
    // on its way, and a create naming an unregistered host is a 400
    await waitFor(
      'both hosts registered with their underlay address',
      async () => {
        const hosts = await api.listHosts();
        return ids.every((id) =>
          hosts.some((h) => h.hostId === id && ipv4Schema.safeParse(h.underlayIp).success),
        );
      },
      { timeoutMs: 30_000 },
    );
    await createClusterAndWait(api, `mx-${lab.id}`, [
      { hostId: ids[0]!, role: 'control-plane' },
      { hostId: ids[1]!, role: 'control-plane' },
    ]);
    // beacons go out once a second: wait until each agent has accepted its peer's
    await waitFor(
      'beacons accepted',
      async () => (seriesValue(await scrapeAgent(0), 'edge_overlay_agent_beacons_accepted_total') ?? 0) > 0,
      {
        timeoutMs: 15_000,
      },
    );
    const agent = await scrapeAgent(0);
    expect(seriesValue(agent, 'edge_overlay_agent_broker_connected')).toBe(1);
    expect(seriesValue(agent, 'edge_overlay_agent_peers_programmed')).toBe(1);
    expect(
      seriesValue(agent, 'edge_overlay_agent_commands_total{kind="applyOverlay",outcome="ok"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      seriesValue(agent, 'edge_overlay_agent_commands_total{kind="setPeers",outcome="ok"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(seriesValue(agent, 'edge_overlay_agent_beacons_sent_total')).toBeGreaterThan(0);

    const control = await scrapeControl();
    expect(seriesValue(control, 'edge_overlay_control_broker_connected')).toBe(1);
    expect(
      seriesValue(
        control,
        'edge_overlay_control_command_publishes_total{kind="applyOverlay",outcome="published"}',
      ),
    ).toBeGreaterThanOrEqual(2);
    expect(
      seriesValue(control, 'edge_overlay_control_command_results_total{kind="applyOverlay",outcome="ok"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(
      seriesValue(control, 'edge_overlay_control_command_round_trip_seconds_count{kind="setPeers"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(
      seriesValue(
        control,
        'edge_overlay_api_requests_total{method="POST",route="/v1/clusters",status="202"}',
      ),
    ).toBe(1);
    expect(
      seriesValue(
        control,
        'edge_overlay_api_requests_total{method="GET",route="/v1/clusters/:name",status="200"}',
      ),
    ).toBeGreaterThanOrEqual(1);
  });

  it('a peer that renumbers: the other agent records its reconvergence', async () => {
    const before =
      seriesValue(await scrapeAgent(0), 'edge_overlay_agent_reconvergence_seconds_count{source="beacon"}') ??
      0;
    const h2 = lab.hosts[1]!;
    const newIp = `${lab.subnet}.77`;
    await execa('ip', ['-n', h2.ns, 'addr', 'del', `${h2.underlayIp}/24`, 'dev', 'eth0']);
    await execa('ip', ['-n', h2.ns, 'addr', 'add', `${newIp}/24`, 'dev', 'eth0']);
    h2.underlayIp = newIp;
    await waitFor('h1 reprogrammed', async () => (await fdbDsts(0)).join() === newIp, {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    const page = await scrapeAgent(0);
    const count = (source: string) =>
      seriesValue(page, `edge_overlay_agent_reconvergence_seconds_count{source="${source}"}`) ?? 0;
    const sum = (source: string) =>
      seriesValue(page, `edge_overlay_agent_reconvergence_seconds_sum{source="${source}"}`) ?? 0;
    // whichever told it first (the peer's beacon or the pushed table), the move was timed once
    expect(count('beacon') - before + count('table')).toBeGreaterThanOrEqual(1);
    expect(sum('beacon') + sum('table')).toBeLessThan(30);
    console.log(
      `[metrics e2e] reconvergence on the peer: ${page
        .split('\n')
        .filter((l) => l.includes('reconvergence_seconds_sum'))
        .join('; ')}`,
    );
  });
});
