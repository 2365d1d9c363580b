/**
 * Counters and histograms whose label children are plain objects with number fields, registered on a
 * prom-client `Registry` as custom metrics (prom-client formats them on scrape).
 *
 * Why not prom-client's own `Counter#labels()`: its children still hash the label object and validate it on
 * every `inc()`/`observe()` (prom-client 15.1). Here a child is bound once (one Map entry per label set) and
 * recording is a field increment; the cost of building label objects moves to the scrape.
 *
 * ```
 *  bind(['f', 'ok'])  ─► CounterChild { value }      (once, when the router learns the function)
 *  child.inc()        ─► value++                     (per message)
 *  registry.metrics() ─► family.get() ─► { labels, value }[] ─► text
 * ```
 */
import type { Metric, Registry } from 'prom-client';

/** One labelled series of a {@link CounterFamily}. Monotonic. */
export class CounterChild {
  value = 0;
  constructor(readonly labelValues: readonly string[]) {}

  /** Adds `amount` (default 1). A negative amount is ignored: counters never go down. */
  inc(amount = 1): void {
    if (amount > 0) this.value += amount;
  }
}

/** One labelled series of a {@link HistogramFamily}: per-bucket counts (not cumulative), sum and count. */
export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labelValues: readonly string[],
    readonly bounds: Float64Array,
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  /** Records one value. Non-finite values are ignored (they would poison `sum`). */
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    // ~15 bounds: a linear scan beats a binary search's branches, and most latencies land in the first few.
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    if (i < bounds.length) this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

interface MetricValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

interface MetricSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly values: MetricValue[];
  readonly aggregator: 'sum';
}

function labelsOf(names: readonly string[], values: readonly string[]): Record<string, string | number> {
  const labels: Record<string, string | number> = {};
  for (let i = 0; i < names.length; i++) labels[names[i] as string] = values[i] as string;
  return labels;
}

abstract class Family<C extends { readonly labelValues: readonly string[] }> {
  readonly aggregator = 'sum' as const;
  readonly #children = new Map<string, C>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /**
   * The child for these label values, created on first use and the same object afterwards. Call it when a
   * function, code or route becomes known, and keep the child: this is a Map lookup, meant for setup.
   */
  bind(labelValues: readonly string[]): C {
    const key = labelValues.join('\u0000');
    let child = this.#children.get(key);
    if (child === undefined) {
      child = this.create([...labelValues]);
      this.#children.set(key, child);
    }
    return child;
  }

  /** Number of bound children (tests check that recording binds nothing new). */
  get size(): number {
    return this.#children.size;
  }

  /** Registers this family on `registry` (prom-client duck-types metrics: it calls `get()` on scrape). */
  register(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }

  protected children(): IterableIterator<C> {
    return this.#children.values();
  }

  protected abstract create(labelValues: readonly string[]): C;
}

/** A counter family (`type counter`). */
export class CounterFamily extends Family<CounterChild> {
  readonly type = 'counter' as const;

  protected create(labelValues: readonly string[]): CounterChild {
    return new CounterChild(labelValues);
  }

  /** The scrape: one value per bound child. Called by prom-client's `Registry#metrics()`. */
  async get(): Promise<MetricSnapshot> {
    const values: MetricValue[] = [];
    for (const child of this.children()) {
      values.push({ labels: labelsOf(this.labelNames, child.labelValues), value: child.value });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** A histogram family (`type histogram`) with fixed upper bounds, in seconds for latencies. */
export class HistogramFamily extends Family<HistogramChild> {
  readonly type = 'histogram' as const;
  readonly bounds: Float64Array;

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]) {
    super(name, help, labelNames);
    this.bounds = Float64Array.from([...bounds].sort((a, b) => a - b));
  }

  protected create(labelValues: readonly string[]): HistogramChild {
    return new HistogramChild(labelValues, this.bounds);
  }

  /** The scrape: cumulative `_bucket` series with `le`, then `_sum` and `_count`, per bound child. */
  async get(): Promise<MetricSnapshot> {
    const values: MetricValue[] = [];
    for (const child of this.children()) {
      const labels = labelsOf(this.labelNames, child.labelValues);
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += child.counts[i] as number;
        values.push({
          labels: { ...labels, le: this.bounds[i] as number },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({ labels: { ...labels, le: '+Inf' }, value: child.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: child.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: child.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
