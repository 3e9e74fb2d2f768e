// The registry's text exposition (format 0.0.4): HELP/TYPE lines, label escaping, histogram buckets
// (cumulative, +Inf = count), sum and count, collect-time values, and the checks that refuse bad names.
import { describe, expect, it } from 'vitest';
import { escapeHelp, escapeLabelValue, formatValue } from '../../src/metrics/format.js';
import { Registry } from '../../src/metrics/registry.js';

describe('metrics registry', () => {
  it('writes HELP and TYPE once per family, then one line per label set', () => {
    const r = new Registry();
    const c = r.counter('jobs_total', 'Jobs done', ['kind', 'outcome']);
    c.inc({ kind: 'setPeers', outcome: 'ok' });
    c.inc({ kind: 'setPeers', outcome: 'ok' }, 2);
    c.inc({ kind: 'preflight', outcome: 'error' });
    const g = r.gauge('peers', 'Peers programmed');
    g.set(3);
    expect(r.expose()).toBe(
      [
        '# HELP jobs_total Jobs done',
        '# TYPE jobs_total counter',
        'jobs_total{kind="setPeers",outcome="ok"} 3',
        'jobs_total{kind="preflight",outcome="error"} 1',
        '# HELP peers Peers programmed',
        '# TYPE peers gauge',
        'peers 3',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values (backslash, quote, newline) and HELP text (backslash, newline)', () => {
    const r = new Registry();
    r.counter('x_total', 'line one\nback\\slash "quoted"', ['v']).inc({ v: 'a"b\\c\nd' });
    const text = r.expose();
    expect(text).toContain('# HELP x_total line one\\nback\\\\slash "quoted"\n');
    expect(text).toContain('x_total{v="a\\"b\\\\c\\nd"} 1\n');
    expect(escapeLabelValue('\\"\n')).toBe('\\\\\\"\\n');
    expect(escapeHelp('"')).toBe('"');
    expect([
      formatValue(Number.POSITIVE_INFINITY),
      formatValue(Number.NEGATIVE_INFINITY),
      formatValue(Number.NaN),
    ]).toEqual(['+Inf', '-Inf', 'NaN']);
  });

  it('histogram: cumulative buckets up to +Inf, then sum and count, per label set', () => {
    const r = new Registry();
    const h = r.histogram('wait_seconds', 'Wait', ['route'], [0.1, 1, 10]);
    for (const v of [0.05, 0.1, 0.5, 3, 100]) h.observe(v, { route: '/a' });
    h.observe(0.2, { route: '/b' });
    const lines = r.expose().trimEnd().split('\n');
    expect(lines).toEqual([
      '# HELP wait_seconds Wait',
      '# TYPE wait_seconds histogram',
      'wait_seconds_bucket{route="/a",le="0.1"} 2',
      'wait_seconds_bucket{route="/a",le="1"} 3',
      'wait_seconds_bucket{route="/a",le="10"} 4',
      'wait_seconds_bucket{route="/a",le="+Inf"} 5',
      'wait_seconds_sum{route="/a"} 103.65',
      'wait_seconds_count{route="/a"} 5',
      'wait_seconds_bucket{route="/b",le="0.1"} 0',
      'wait_seconds_bucket{route="/b",le="1"} 1',
      'wait_seconds_bucket{route="/b",le="10"} 1',
      'wait_seconds_bucket{route="/b",le="+Inf"} 1',
      'wait_seconds_sum{route="/b"} 0.2',
      'wait_seconds_count{route="/b"} 1',
    ]);
    expect(r.sampleNames()).toEqual(['wait_seconds_bucket', 'wait_seconds_sum', 'wait_seconds_count']);
  });

  it('collectors run at every exposition; a failing one leaves the others working', () => {
    const r = new Registry();
    const g = r.gauge('connected', 'Up');
    let up = false;
    r.onCollect(() => {
      throw new Error('source gone');
    });
    r.onCollect(() => g.set(up ? 1 : 0));
    expect(r.expose()).toContain('connected 0\n');
    up = true;
    expect(r.expose()).toContain('connected 1\n');
  });

  it('refuses bad names, reserved labels, duplicates, negative increments and unsorted buckets', () => {
    const r = new Registry();
    expect(() => r.counter('1bad', 'x')).toThrow(/invalid metric name/);
    expect(() => r.counter('ok_total', 'x', ['bad-label'])).toThrow(/invalid label name/);
    expect(() => r.counter('ok2_total', 'x', ['__reserved'])).toThrow(/invalid label name/);
    expect(() => r.histogram('h', 'x', ['le'])).toThrow(/invalid label name/);
    expect(() => r.histogram('h2', 'x', [], [1, 1])).toThrow(/strictly increasing/);
    r.gauge('twice', 'x');
    expect(() => r.gauge('twice', 'x')).toThrow(/registered twice/);
    const c = r.counter('up_total', 'x');
    expect(() => c.inc(undefined, -1)).toThrow(/only goes up/);
  });
});
