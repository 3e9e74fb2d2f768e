// `edge-overlay agent` configuration: --heartbeat-interval and EDGE_OVERLAY_HEARTBEAT_INTERVAL are
// validated (1-300 whole seconds) before anything starts; the flag wins; the default stays 10 s.
import { afterEach, describe, expect, it } from 'vitest';
import { resolveAgentConfig } from '../../src/cli/agent.js';
import { loadEnv } from '../../src/config/env.js';
import { runCli } from './helper.js';

const base = { hostId: 'h1', underlayIface: 'eth0', stateDir: '/tmp/eo-agent-config' };

describe('agent heartbeat interval', () => {
  afterEach(() => {
    delete process.env['EDGE_OVERLAY_HEARTBEAT_INTERVAL'];
  });

  it('defaults to 10 s, takes the environment, and the flag wins over it', () => {
    expect(resolveAgentConfig(base, loadEnv({})).heartbeatMs).toBe(10_000);
    const env = loadEnv({ EDGE_OVERLAY_HEARTBEAT_INTERVAL: '3' });
    expect(resolveAgentConfig(base, env).heartbeatMs).toBe(3000);
    expect(resolveAgentConfig({ ...base, heartbeatInterval: 2 }, env).heartbeatMs).toBe(2000);
  });

  it.each(['0', '301', '1.5', 'soon', '-5'])('EDGE_OVERLAY_HEARTBEAT_INTERVAL=%s is refused', (v) => {
    expect(() => loadEnv({ EDGE_OVERLAY_HEARTBEAT_INTERVAL: v })).toThrow(/EDGE_OVERLAY_HEARTBEAT_INTERVAL/);
  });

  it.each(['0', '301', '1.5', 'soon'])(
    '--heartbeat-interval %s is refused before the agent starts',
    async (v) => {
      const res = await runCli([
        'agent',
        '--host-id',
        'h1',
        '--underlay-iface',
        'eth0',
        '--heartbeat-interval',
        v,
      ]);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/heartbeat-interval/);
      expect(res.stderr).toMatch(/seconds/);
    },
  );

  it('a bad environment value stops `agent` with exit 2 before it starts', async () => {
    process.env['EDGE_OVERLAY_HEARTBEAT_INTERVAL'] = '0';
    const res = await runCli([
      'agent',
      '--host-id',
      'h1',
      '--underlay-iface',
      'eth0',
      '--state-dir',
      base.stateDir,
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/EDGE_OVERLAY_HEARTBEAT_INTERVAL: must be 1-300 seconds/);
  });

  it('the help names the flag and its default', async () => {
    const res = await runCli(['agent', '--help']);
    expect(res.stdout).toMatch(/--heartbeat-interval <seconds>/);
    expect(res.stdout).toMatch(/default 10/);
  });
});
