// deploy/grafana/edge-overlay.json loads as a Grafana dashboard that cannot drift from the code: every
// panel query names only metrics our registries really register (or the Temporal SDK's, see
// temporal-telemetry.ts), every metric we register has a panel, panel ids are unique, and the data source
// is the dashboard's variable (no uid of somebody's Grafana baked in).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../src/metrics/agent-metrics.js';
import { createApiMetrics } from '../../src/metrics/api-metrics.js';
import { createControlMetrics } from '../../src/metrics/control-metrics.js';
import { Registry } from '../../src/metrics/registry.js';
import { TEMPORAL_DASHBOARD_METRICS } from '../../src/metrics/temporal-telemetry.js';

interface Target {
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

const file = new URL('../../deploy/grafana/edge-overlay.json', import.meta.url);
const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown }> };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = panels.filter((p) => p.type !== 'row');

const registry = new Registry();
createAgentMetrics('h', registry);
createControlMetrics(registry);
createApiMetrics(registry);
const ours = new Set(registry.sampleNames());
const temporal = new Set(
  TEMPORAL_DASHBOARD_METRICS.flatMap((n) => [n, `${n}_bucket`, `${n}_sum`, `${n}_count`]),
);
/** Grafana's variable syntax, not a JavaScript template. */
const DS_VAR = ['$', '{datasource}'].join('');
const metricNames = (expr: string) => expr.match(/\b(?:edge_overlay|temporal)_[a-z0-9_]+\b/g) ?? [];

describe('Grafana dashboard', () => {
  it('parses, has a uid and a title, and unique panel ids', () => {
    expect(dashboard.uid).toBe('edge-overlay');
    expect(dashboard.title).toBeTruthy();
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every query names only metrics that exist, and names at least one', () => {
    const unknown: string[] = [];
    for (const p of queries) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        const names = metricNames(t.expr ?? '');
        expect(names.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const n of names) if (!ours.has(n) && !temporal.has(n)) unknown.push(`${p.title}: ${n}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('every metric we register has a panel, and so do the Temporal SDK metrics it lists', () => {
    const used = new Set(queries.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr ?? ''))));
    const family = (n: string) => n.replace(/_(bucket|sum|count)$/, '');
    const usedFamilies = new Set([...used].map(family));
    const missing = [...new Set([...ours].map(family))].filter((f) => !usedFamilies.has(f));
    expect(missing).toEqual([]);
    for (const n of [
      'temporal_workflow_task_schedule_to_start_latency',
      'temporal_activity_execution_failed',
    ])
      expect(usedFamilies.has(n), n).toBe(true);
  });

  it('the data source is a variable: every panel and query uses it', () => {
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of queries) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: DS_VAR });
      for (const t of p.targets ?? []) expect(t.datasource?.uid ?? DS_VAR, p.title).toBe(DS_VAR);
    }
  });
});
