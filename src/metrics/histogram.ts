// A histogram: per label set, a count per bucket, the sum and the count of observations. Exposed as
// cumulative `_bucket{le=…}` lines (the last one `le="+Inf"`, equal to `_count`), then `_sum`, `_count`.
import { checkNames, formatValue, type MetricFamily, type Sample } from './format.js';
import { type Labels, SeriesMap } from './series.js';

/** Seconds, from a fast local operation to a slow reconvergence. */
export const DEFAULT_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface State {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = never> implements MetricFamily {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  private readonly series: SeriesMap<L, State>;

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly L[],
    buckets: readonly number[] = DEFAULT_SECONDS_BUCKETS,
  ) {
    checkNames(name, labelNames, ['le']);
    if (
      buckets.length === 0 ||
      buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))
    )
      throw new Error(`${name}: buckets must be finite and strictly increasing`);
    this.buckets = [...buckets];
    this.series = new SeriesMap(labelNames, () => ({ counts: buckets.map(() => 0), sum: 0, count: 0 }));
  }

  observe(value: number, labels?: Labels<L>): void {
    const s = this.series.get(labels);
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  sampleNames(): string[] {
    return ['_bucket', '_sum', '_count'].map((suffix) => this.name + suffix);
  }

  samples(): Sample[] {
    const out: Sample[] = [];
    for (const [labels, s] of this.series.entries()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i]!;
        out.push({ suffix: '_bucket', labels: [...labels, ['le', formatValue(le)]], value: cumulative });
      });
      out.push({ suffix: '_bucket', labels: [...labels, ['le', '+Inf']], value: s.count });
      out.push({ suffix: '_sum', labels, value: s.sum });
      out.push({ suffix: '_count', labels, value: s.count });
    }
    return out;
  }
}
