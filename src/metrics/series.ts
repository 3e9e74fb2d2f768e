// Label sets → one value each. A series exists from its first use on (Prometheus convention: a counter
// that never moved is simply absent). Values are turned into strings so a number or a status code works.
export type Labels<L extends string> = { readonly [K in L]: string | number };

export class SeriesMap<L extends string, T> {
  private readonly byKey = new Map<string, { values: string[]; state: T }>();

  constructor(
    readonly labelNames: readonly L[],
    private readonly fresh: () => T,
  ) {}

  /** The state of this label set, made on first use. */
  get(labels: Labels<L> | undefined): T {
    const values = this.labelNames.map((n) => String(labels?.[n] ?? ''));
    const key = values.join('\u0000');
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = { values, state: this.fresh() };
      this.byKey.set(key, entry);
    }
    return entry.state;
  }

  /** Every series: its label pairs (in declaration order) and its state. */
  *entries(): Generator<[Array<[string, string]>, T]> {
    for (const { values, state } of this.byKey.values()) {
      yield [this.labelNames.map((n, i) => [n, values[i] ?? ''] as [string, string]), state];
    }
  }
}
