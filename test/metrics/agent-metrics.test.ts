// The agent's metrics without a kernel: the reconvergence tracker's rules (first sighting timed, a move
// by table or beacon, a lost claim forgotten), command counting by kind and outcome, and the page its
// metrics server serves on a free loopback port with the values read at scrape time.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../src/metrics/agent-metrics.js';
import { ReconvergenceTracker } from '../../src/metrics/reconvergence.js';
import { startMetricsServer } from '../../src/metrics/server.js';

const peer = (hostId: string, underlayIp: string) => ({ hostId, underlayIp });

describe('reconvergence tracker', () => {
  const setup = () => {
    let now = 0;
    const recorded: Array<[number, string]> = [];
    const t = new ReconvergenceTracker(
      'self',
      (s, source) => recorded.push([s, source]),
      () => now,
    );
    return { t, recorded, at: (ms: number) => (now = ms) };
  };

  it('a peer moved by a pushed table: from the table arriving to it applied', () => {
    const { t, recorded, at } = setup();
    t.applied([peer('self', '10.0.0.1'), peer('b', '10.0.0.2')], 0); // the first table is a join: no record
    expect(recorded).toEqual([]);
    at(1000);
    t.tableReceived([peer('b', '10.0.0.9')]);
    at(1250);
    t.applied([peer('b', '10.0.0.9')], 1100);
    expect(recorded).toEqual([[0.25, 'table']]);
    expect(t.programmedPeers()).toBe(1);
  });

  it('a beacon first: its sighting is the start, a later table for the same address does not restart it', () => {
    const { t, recorded, at } = setup();
    t.applied([peer('b', '10.0.0.2')], 0);
    at(100);
    t.peerSeen('b', '10.0.0.9', 'beacon');
    at(400);
    t.tableReceived([peer('b', '10.0.0.9')]);
    at(500);
    t.applied([peer('b', '10.0.0.9')], 450);
    expect(recorded).toEqual([[0.4, 'beacon']]);
    // nothing pending any more: the same table again records nothing
    t.applied([peer('b', '10.0.0.9')], 500);
    expect(recorded).toHaveLength(1);
  });

  it('a sighting another claim beat is forgotten; one seen during an apply waits for the next', () => {
    const { t, recorded, at } = setup();
    t.applied([peer('b', '10.0.0.2')], 0);
    at(100);
    t.peerSeen('b', '10.0.0.7', 'beacon'); // seen before the apply below started, not in its table
    at(200);
    t.applied([peer('b', '10.0.0.8')], 150);
    at(300);
    t.applied([peer('b', '10.0.0.7')], 250);
    expect(recorded).toEqual([]);
    t.peerSeen('b', '10.0.0.5', 'beacon'); // at 300, during an apply that started at 290 with the old table
    at(350);
    t.applied([peer('b', '10.0.0.7')], 290);
    at(400);
    t.applied([peer('b', '10.0.0.5')], 360);
    expect(recorded).toEqual([[0.1, 'beacon']]);
    // the host's own address and an address already programmed never count
    t.peerSeen('self', '10.9.9.9', 'beacon');
    t.peerSeen('b', '10.0.0.5', 'beacon');
    t.applied([peer('b', '10.0.0.5')], 400);
    expect(recorded).toHaveLength(1);
  });
});

describe('agent metrics page', () => {
  it('serves commands by kind and outcome, reconvergence, and the values read at scrape time', async () => {
    const m = createAgentMetrics('self');
    let connected = true;
    m.attach({
      peersProgrammed: () => 2,
      brokerConnected: () => connected,
      brokerConnects: () => 3,
      beacons: () => ({ sent: 40, accepted: 75, rejected: { replay: 2, 'bad-signature': 1 } }),
      commandsDropped: () => ({ duplicate: 1, expired: 0, malformed: 4 }),
    });
    const handlers = m.countCommands({
      setPeers: async () => 'ok',
      preflight: async () => {
        throw new Error('no vxlan');
      },
    });
    await handlers.setPeers();
    await handlers.setPeers();
    await expect(handlers.preflight()).rejects.toThrow('no vxlan');
    const applied = m.tracker.wrapApply({
      setPeers: async (_: { peers: { hostId: string; underlayIp: string }[] }) => 1,
    });
    await applied.setPeers({ peers: [peer('b', '10.0.0.2')] });
    m.tracker.peerSeen('b', '10.0.0.3', 'beacon');
    await applied.setPeers({ peers: [peer('b', '10.0.0.3')] });

    const server = await startMetricsServer({ registries: [m.registry], port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      let text = await (await fetch(server.url)).text();
      for (const line of [
        'edge_overlay_agent_commands_total{kind="setPeers",outcome="ok"} 2',
        'edge_overlay_agent_commands_total{kind="preflight",outcome="error"} 1',
        'edge_overlay_agent_commands_dropped_total{reason="malformed"} 4',
        'edge_overlay_agent_peers_programmed 2',
        'edge_overlay_agent_broker_connected 1',
        'edge_overlay_agent_broker_connects_total 3',
        'edge_overlay_agent_beacons_sent_total 40',
        'edge_overlay_agent_beacons_accepted_total 75',
        'edge_overlay_agent_beacons_rejected_total{reason="bad-signature"} 1',
        'edge_overlay_agent_reconvergence_seconds_count{source="beacon"} 1',
        'edge_overlay_agent_reconvergence_seconds_bucket{source="beacon",le="+Inf"} 1',
      ])
        expect(text).toContain(`${line}\n`);
      connected = false;
      text = await (await fetch(server.url)).text();
      expect(text).toContain('edge_overlay_agent_broker_connected 0\n');
    } finally {
      await server.close();
    }
  });

  it('a taken port is refused with the address in the message', async () => {
    const first = await startMetricsServer({ registries: [], port: 0 });
    try {
      await expect(startMetricsServer({ registries: [], port: first.port })).rejects.toThrow(
        `cannot serve metrics on 127.0.0.1:${first.port}: address in use`,
      );
    } finally {
      await first.close();
    }
  });

  it("reconvergence's HELP and README say it starts when this agent learns the address, not at the change", () => {
    const page = createAgentMetrics('h').registry.expose();
    const help = /^# HELP edge_overlay_agent_reconvergence_seconds (.+)$/m.exec(page)?.[1] ?? '';
    expect(help).toMatch(/^Seconds from this agent learning a peer's new underlay address .* to the FDB/);
    expect(help).toContain('excludes the time from the underlay change to learning it');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| `edge_overlay_agent_reconvergence_seconds`'));
    expect(row).toContain("from the moment this agent learns a peer's new underlay address");
    expect(row).toContain('It does not start at the underlay change');
  });
});
