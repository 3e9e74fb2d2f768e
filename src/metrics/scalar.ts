// Counters and gauges: one number per label set.
import { checkNames, type MetricFamily, type Sample } from './format.js';
import { type Labels, SeriesMap } from './series.js';

abstract class Scalar<L extends string> implements MetricFamily {
  abstract readonly type: 'counter' | 'gauge';
  protected readonly series: SeriesMap<L, { v: number }>;

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly L[],
  ) {
    checkNames(name, labelNames);
    this.series = new SeriesMap(labelNames, () => ({ v: 0 }));
  }

  sampleNames(): string[] {
    return [this.name];
  }

  samples(): Sample[] {
    return [...this.series.entries()].map(([labels, s]) => ({ suffix: '', labels, value: s.v }));
  }

  /** The current value (tests, and collectors that derive one metric from another). */
  value(labels?: Labels<L>): number {
    return this.series.get(labels).v;
  }
}

export class Counter<L extends string = never> extends Scalar<L> {
  readonly type = 'counter';

  inc(labels?: Labels<L>, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: a counter only goes up (got ${by})`);
    this.series.get(labels).v += by;
  }

  /** For a count kept elsewhere (a stats object) and copied at scrape time: it must never go down. */
  setTotal(total: number, labels?: Labels<L>): void {
    this.series.get(labels).v = total;
  }
}

export class Gauge<L extends string = never> extends Scalar<L> {
  readonly type = 'gauge';

  set(value: number, labels?: Labels<L>): void {
    this.series.get(labels).v = value;
  }

  inc(labels?: Labels<L>, by = 1): void {
    this.series.get(labels).v += by;
  }
}
