// The API's request metrics, scraped over HTTP from a real metrics server after real requests (inject on
// the app built on a real Temporal client): counted by route PATTERN and status, never by raw URL, and
// timed; the metrics server is not the API's port and needs no token.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { createApiMetrics } from '../../src/metrics/api-metrics.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/server.js';
import { testClient } from '../helpers/temporal.js';

const TOKEN = 'metrics-test-token-0123456789';

describe('API request metrics', () => {
  let tc: Awaited<ReturnType<typeof testClient>>;
  let app: FastifyInstance;
  let server: MetricsServer;

  beforeAll(async () => {
    tc = await testClient();
    const metrics = createApiMetrics();
    app = await buildApp({
      client: tc.client,
      log: pino({ level: 'silent' }),
      token: TOKEN,
      uiBaseUrl: null,
      namespace: 'default',
      metrics,
    });
    server = await startMetricsServer({ registries: [metrics.registry], port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
    await tc?.close();
  });

  it('counts requests by method, route pattern and status, and times them', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const names = ['metrics-a', 'metrics-b', 'metrics-c'];
    for (const name of names) {
      const res = await app.inject({ method: 'GET', url: `/v1/clusters/${name}`, headers: auth });
      expect(res.statusCode).toBe(404);
    }
    expect((await app.inject({ method: 'GET', url: '/v1/clusters/x' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/no/such/route', headers: auth })).statusCode).toBe(404);

    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('# TYPE edge_overlay_api_requests_total counter\n');
    expect(text).toContain(
      'edge_overlay_api_requests_total{method="GET",route="/v1/clusters/:name",status="404"} 3\n',
    );
    expect(text).toContain(
      'edge_overlay_api_requests_total{method="GET",route="/v1/clusters/:name",status="401"} 1\n',
    );
    expect(text).toContain(
      'edge_overlay_api_requests_total{method="GET",route="/openapi.json",status="200"} 1\n',
    );
    expect(text).toContain(
      'edge_overlay_api_requests_total{method="GET",route="unmatched",status="404"} 1\n',
    );
    // bounded label values: no raw URL ever becomes a label
    for (const name of names) expect(text).not.toContain(name);
    expect(text).not.toContain('/no/such/route');
    expect(text).toMatch(
      /^edge_overlay_api_request_duration_seconds_count\{method="GET",route="\/v1\/clusters\/:name"\} 4$/m,
    );
    expect(text).toMatch(
      /^edge_overlay_api_request_duration_seconds_bucket\{method="GET",route="\/v1\/clusters\/:name",le="\+Inf"\} 4$/m,
    );
  });

  it('serves only /metrics', async () => {
    const other = await fetch(server.url.replace('/metrics', '/v1/hosts'));
    expect(other.status).toBe(404);
    expect((await fetch(server.url, { method: 'HEAD' })).status).toBe(200);
  });
});
