// The Prometheus text exposition format, version 0.0.4 (what every Prometheus and Grafana Agent scrapes):
// one `# HELP` and one `# TYPE` line per family, then one `name{labels} value` line per series. Only the
// escaping rules live here: HELP text escapes `\` and newline; label values also escape `"`.
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One line of a family: the family's name plus `suffix` (histograms: _bucket, _sum, _count). */
export interface Sample {
  suffix: string;
  labels: ReadonlyArray<readonly [string, string]>;
  value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** The names its lines carry (a histogram's three), for checks such as the dashboard test. */
  sampleNames(): string[];
  samples(): Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function checkNames(name: string, labelNames: readonly string[], reserved: string[] = []): void {
  if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name '${name}'`);
  for (const l of labelNames) {
    if (!LABEL_NAME.test(l) || l.startsWith('__') || reserved.includes(l))
      throw new Error(`invalid label name '${l}' on ${name}`);
  }
  if (new Set(labelNames).size !== labelNames.length) throw new Error(`duplicate label name on ${name}`);
}

export const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

export const escapeLabelValue = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Go's ParseFloat spellings for the special values; everything else as JavaScript prints it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function sampleLine(name: string, s: Sample): string {
  const labels = s.labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
  return `${name}${s.suffix}${labels ? `{${labels}}` : ''} ${formatValue(s.value)}`;
}

export function formatFamily(f: MetricFamily): string {
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.samples()) lines.push(sampleLine(f.name, s));
  return `${lines.join('\n')}\n`;
}
