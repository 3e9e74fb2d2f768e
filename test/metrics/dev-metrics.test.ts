// `dev`'s metrics: one page for the worker and the API on a free loopback port, the SDK's URL beside it,
// both in the banner; a taken --metrics-port is a PortInUseError naming `metrics` (dev maps it to its flag).
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PortInUseError } from '../../src/dev/process.js';
import { devMetricsBanner, startDevMetrics } from '../../src/metrics/dev-metrics.js';

describe('dev metrics', () => {
  it('serves the worker and the API on one page and prints both URLs', async () => {
    const m = await startDevMetrics(0, 9999);
    try {
      m.recorders.api.requests.inc({ method: 'GET', route: '/healthz', status: 200 });
      m.recorders.control.onCommandOutcome({ kind: 'setPeers' }, 'ok');
      const text = await (await fetch(m.url)).text();
      expect(text).toContain(
        'edge_overlay_api_requests_total{method="GET",route="/healthz",status="200"} 1\n',
      );
      expect(text).toContain('edge_overlay_control_command_results_total{kind="setPeers",outcome="ok"} 1\n');
      const banner = devMetricsBanner(m).join('\n');
      expect(banner).toContain(`Metrics:          ${m.url}`);
      expect(banner).toContain('Temporal metrics: http://127.0.0.1:9999/metrics');
    } finally {
      await m.close();
    }
    expect(devMetricsBanner(undefined)).toEqual(['  Metrics:          off (--no-metrics)']);
  });

  it('a taken port is a PortInUseError for `metrics`', async () => {
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    const port = (held.address() as { port: number }).port;
    try {
      const err = await startDevMetrics(port, 9999).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect(err).toMatchObject({ what: 'metrics', port });
    } finally {
      held.close();
    }
  });
});
