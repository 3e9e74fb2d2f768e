// The process's metrics, one registry passed explicitly to whatever records (no module-level default:
// tests and the `dev` process, which runs the worker and the API together, each hold their own).
// Our own small registry instead of prom-client: the agent must stay lean (issue 12: RSS < 70 MB), and
// the three processes should speak one format.
import { EXPOSITION_CONTENT_TYPE, formatFamily, type MetricFamily } from './format.js';
import { Histogram } from './histogram.js';
import { Counter, Gauge } from './scalar.js';

export class Registry {
  readonly contentType = EXPOSITION_CONTENT_TYPE;
  private readonly families = new Map<string, MetricFamily>();
  private readonly collectors: Array<() => void> = [];

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets?: readonly number[],
  ): Histogram<L> {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** Runs before every exposition: copies values kept elsewhere (stats objects, connection state) into
   * gauges and counters, so the hot paths that own them pay nothing between scrapes. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  /** Every sample name this registry can expose (a histogram's _bucket, _sum, _count). */
  sampleNames(): string[] {
    return [...this.families.values()].flatMap((f) => f.sampleNames());
  }

  /** The text exposition (format 0.0.4). A failing collector leaves its metrics as they were. */
  expose(): string {
    for (const collect of this.collectors) {
      try {
        collect();
      } catch {
        // a scrape must never fail because one source could not be read
      }
    }
    return [...this.families.values()].map(formatFamily).join('');
  }

  private add<F extends MetricFamily>(family: F): F {
    if (this.families.has(family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.families.set(family.name, family);
    return family;
  }
}
