/**
 * The metrics of one shard node, on its own prom-client `Registry` (never the global default, so several nodes
 * in one process, as in tests, keep separate series). Every series carries the label `node`.
 *
 * | series                               | labels              | fed by                                 |
 * |--------------------------------------|---------------------|----------------------------------------|
 * | `lucent_calls_total`                 | function, outcome   | {@link FunctionCallMetrics}            |
 * | `lucent_call_duration_seconds`       | function            | {@link FunctionCallMetrics}            |
 * | `lucent_errors_total`                | code                | `failed()` and {@link NodeMetrics.error} |
 * | `lucent_forwards_total`              |                     | {@link NodeMetrics.forwarded}          |
 * | `lucent_retries_total`               | function, reason    | {@link NodeMetrics.retried}            |
 * | `lucent_pool_utilization`            |                     | `pool.stats()` on scrape               |
 * | `lucent_pool_queue_depth`            |                     | `pool.stats()` on scrape               |
 * | `lucent_pool_tasks_in_flight`        |                     | `pool.stats()` on scrape               |
 * | `lucent_pool_overloaded_total`       |                     | `pool.stats()` on scrape               |
 * | `lucent_pool_inline_calls_total`     |                     | `pool.stats()` on scrape               |
 * | `lucent_active_actors`               |                     | the actor directory on scrape          |
 * | `lucent_actor_messages_total`        | type, outcome       | {@link NodeMetrics.forActorType}       |
 * | `lucent_events_total`                | type, outcome       | {@link NodeMetrics.eventReceived}      |
 * | `lucent_event_handler_runs_total`    | function, outcome   | {@link NodeMetrics.forEventHandler}    |
 * | `lucent_cluster_members`             |                     | the cluster view on scrape             |
 * | `lucent_ring_share`                  |                     | this node's share of the ring on scrape|
 * | `lucent_process_*`, `lucent_nodejs_*`|                     | prom-client's default metrics          |
 *
 * Hot path: the router asks {@link NodeMetrics.forFunction} once per function and keeps the result; recording
 * is then a few number increments (see `metric-families.ts`).
 */
import { type ClusterView, knownErrorCodes, TimeoutError } from '@lucent/core/internal';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { type CounterChild, CounterFamily, type HistogramChild, HistogramFamily } from './metric-families.js';

/** `outcome` label values of `lucent_calls_total`. */
export const CALL_OUTCOMES = ['ok', 'error', 'timeout'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** `outcome` label values of `lucent_events_total`: some handler here took the event, or none did. */
export const EVENT_OUTCOMES = ['dispatched', 'unhandled'] as const;
export type EventOutcome = (typeof EVENT_OUTCOMES)[number];

/**
 * Label sets of one kind (actor types, event types, handlers) bound at most; past it, new values share the
 * label `(other)`. Senders choose these names, so the bound keeps a node's series finite.
 */
export const MAX_BOUND_NAMES = 256;
/** The label value of names past {@link MAX_BOUND_NAMES}. */
export const OTHER_LABEL = '(other)';

/** Latency buckets in seconds: 50 µs to 10 s, dense where pooled calls land (0.1–5 ms). */
export const CALL_DURATION_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
];

/** What the pool gauges read on scrape (a subset of `FunctionPoolStats`). */
export interface PoolGaugeSource {
  stats(): {
    readonly utilization: number;
    readonly queueDepth: number;
    readonly tasksInFlight: number;
    readonly overloaded: number;
    readonly inlineCalls: number;
  };
}

export interface NodeMetricsOptions {
  readonly nodeId: string;
  /** Also collect Node.js process metrics (CPU, memory, event-loop lag) into this registry. Default false. */
  readonly processMetrics?: boolean;
}

/**
 * The metrics of one function, bound once: recording does no lookup and allocates nothing. Not thread-safe
 * (nothing in a node is): record from the node's main thread.
 */
export class FunctionCallMetrics {
  readonly #ok: CounterChild;
  readonly #error: CounterChild;
  readonly #timeout: CounterChild;
  readonly #duration: HistogramChild;
  readonly #metrics: NodeMetrics;

  /** @internal Created by {@link NodeMetrics.forFunction}. */
  constructor(metrics: NodeMetrics, calls: CounterFamily, duration: HistogramFamily, name: string) {
    this.#metrics = metrics;
    this.#ok = calls.bind([name, 'ok']);
    this.#error = calls.bind([name, 'error']);
    this.#timeout = calls.bind([name, 'timeout']);
    this.#duration = duration.bind([name]);
  }

  /** Calls recorded so far, and how many of them failed (errors and timeouts). */
  get totals(): { readonly calls: number; readonly errors: number } {
    const errors = this.#error.value + this.#timeout.value;
    return { calls: this.#ok.value + errors, errors };
  }

  /** Records a call that returned a value after `seconds`. */
  succeeded(seconds: number): void {
    this.#ok.inc();
    this.#duration.observe(seconds);
  }

  /**
   * Records a call that failed with error code `code` after `seconds`: outcome `timeout` for
   * `LUCENT_TIMEOUT`, else `error`; also counts `lucent_errors_total{code}`.
   */
  failed(code: string, seconds: number): void {
    if (code === TimeoutError.code) this.#timeout.inc();
    else this.#error.inc();
    this.#duration.observe(seconds);
    this.#metrics.error(code);
  }
}

/**
 * Outcome counters of one name (an actor type, an event-handler function), bound once: `ok`, `error` and
 * `timeout` (for `LUCENT_TIMEOUT`). Recording is one increment.
 */
export class OutcomeCounters {
  readonly #ok: CounterChild;
  readonly #error: CounterChild;
  readonly #timeout: CounterChild;

  /** @internal Created by {@link NodeMetrics}. */
  constructor(family: CounterFamily, name: string) {
    this.#ok = family.bind([name, 'ok']);
    this.#error = family.bind([name, 'error']);
    this.#timeout = family.bind([name, 'timeout']);
  }

  /** Counts one success (`code` `''`) or one failure with error code `code`. */
  record(code: string): void {
    if (code === '') this.#ok.inc();
    else if (code === TimeoutError.code) this.#timeout.inc();
    else this.#error.inc();
  }
}

/** The metrics registry of one node and the typed API the router, pool and actors record through. */
export class NodeMetrics {
  /** The node's own registry; `/metrics` serves `registry.metrics()`. */
  readonly registry: Registry;
  readonly #calls: CounterFamily;
  readonly #duration: HistogramFamily;
  readonly #errors: CounterFamily;
  readonly #errorsByCode = new Map<string, CounterChild>();
  readonly #functions = new Map<string, FunctionCallMetrics>();
  readonly #forwards: CounterChild;
  readonly #retries: CounterFamily;
  readonly #actorMessages: CounterFamily;
  readonly #actorTypes = new Map<string, OutcomeCounters>();
  readonly #events: CounterFamily;
  readonly #eventTypes = new Map<string, readonly [CounterChild, CounterChild]>();
  readonly #handlerRuns: CounterFamily;
  readonly #handlers = new Map<string, OutcomeCounters>();
  #pool: PoolGaugeSource | undefined = undefined;
  #activeActors: (() => number) | undefined = undefined;
  #view: (() => ClusterView | undefined) | undefined = undefined;
  readonly #nodeId: string;

  constructor(options: NodeMetricsOptions) {
    this.#nodeId = options.nodeId;
    const registry = new Registry();
    registry.setDefaultLabels({ node: options.nodeId });
    this.registry = registry;
    this.#calls = new CounterFamily('lucent_calls_total', 'Calls handled, by function and outcome', [
      'function',
      'outcome',
    ]).register(registry);
    this.#duration = new HistogramFamily(
      'lucent_call_duration_seconds',
      'Call latency on this node, from receipt to answer',
      ['function'],
      CALL_DURATION_BUCKETS,
    ).register(registry);
    this.#errors = new CounterFamily('lucent_errors_total', 'Errors, by Lucent error code', ['code']).register(
      registry,
    );
    // Bind every known code up front: the series exist (at 0) from the first scrape, and `error()` is a hit.
    for (const code of knownErrorCodes()) this.#errorsByCode.set(code, this.#errors.bind([code]));
    this.#forwards = new CounterFamily('lucent_forwards_total', 'Messages forwarded to the owning node', [])
      .register(registry)
      .bind([]);
    this.#retries = new CounterFamily('lucent_retries_total', 'Calls retried on this node, by function and reason', [
      'function',
      'reason',
    ]).register(registry);
    this.#actorMessages = new CounterFamily(
      'lucent_actor_messages_total',
      'Actor messages (asks and tells) served on this node, by actor type and outcome',
      ['type', 'outcome'],
    ).register(registry);
    this.#events = new CounterFamily(
      'lucent_events_total',
      'Events received on this node, by event type and outcome (dispatched to a handler, or unhandled)',
      ['type', 'outcome'],
    ).register(registry);
    this.#handlerRuns = new CounterFamily(
      'lucent_event_handler_runs_total',
      'Event handler runs on this node, by function and outcome',
      ['function', 'outcome'],
    ).register(registry);
    const gauge = (name: string, help: string, read: () => number | undefined): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const value = read();
          if (value !== undefined) this.set(value);
        },
      });
    };
    gauge('lucent_pool_utilization', 'Pool utilization estimate in [0, 1]', () => this.#pool?.stats().utilization);
    gauge('lucent_pool_queue_depth', 'Calls waiting in the pool', () => this.#pool?.stats().queueDepth);
    gauge('lucent_pool_tasks_in_flight', 'Pool tasks running now', () => this.#pool?.stats().tasksInFlight);
    // Counters the pool keeps itself: copied into prom-client on scrape, not incremented per call here.
    const poolCounter = (name: string, help: string, read: () => number | undefined): void => {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const value = read();
          if (value === undefined) return;
          this.reset();
          this.inc(value);
        },
      });
    };
    poolCounter(
      'lucent_pool_overloaded_total',
      "Calls refused with OverloadedError because the pool's queue was full",
      () => this.#pool?.stats().overloaded,
    );
    poolCounter(
      'lucent_pool_inline_calls_total',
      "Calls of cpu 'low' functions run on the node's main thread",
      () => this.#pool?.stats().inlineCalls,
    );
    gauge('lucent_active_actors', 'Function actor activations on this node', () => this.#activeActors?.());
    gauge('lucent_cluster_members', "Live members in this node's view of the cluster", () => {
      const view = this.#view?.();
      return view === undefined ? undefined : view.members.length;
    });
    gauge('lucent_ring_share', 'Fraction of the hash ring (keys and actors) this node owns, in [0, 1]', () => {
      const view = this.#view?.();
      if (view === undefined) return undefined;
      return view.ring.shares().get(this.#nodeId) ?? 0;
    });
    // prom-client's default names already start with `process_` / `nodejs_`: the prefix is the namespace only.
    if (options.processMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'lucent_' });
  }

  /**
   * The bound metrics of function `name`: the same object on every call. Call it once per function (when it
   * is loaded or first routed) and keep it; it is a Map lookup, not meant for every message.
   */
  forFunction(name: string): FunctionCallMetrics {
    let bound = this.#functions.get(name);
    if (bound === undefined) {
      bound = new FunctionCallMetrics(this, this.#calls, this.#duration, name);
      this.#functions.set(name, bound);
    }
    return bound;
  }

  /**
   * The bound outcome counters of actor type `type` (`lucent_actor_messages_total`): the same object on every
   * call; past {@link MAX_BOUND_NAMES} types, one shared `(other)` binding. A Map lookup: keep the result.
   */
  /** Calls and failures per function since start (the dashboard's top functions). */
  functionTotals(): { readonly name: string; readonly calls: number; readonly errors: number }[] {
    return [...this.#functions].map(([name, metrics]) => ({ name, ...metrics.totals }));
  }

  forActorType(type: string): OutcomeCounters {
    return bindOutcomes(this.#actorTypes, this.#actorMessages, type);
  }

  /** The bound outcome counters of event handler `name` (`lucent_event_handler_runs_total`); see {@link forActorType}. */
  forEventHandler(name: string): OutcomeCounters {
    return bindOutcomes(this.#handlers, this.#handlerRuns, name);
  }

  /** Counts one event of `type` received here, `dispatched` to at least one handler or `unhandled`. */
  eventReceived(type: string, outcome: EventOutcome): void {
    let bound = this.#eventTypes.get(type);
    if (bound === undefined) {
      const label = this.#eventTypes.size >= MAX_BOUND_NAMES ? OTHER_LABEL : type;
      bound = [this.#events.bind([label, 'dispatched']), this.#events.bind([label, 'unhandled'])] as const;
      if (label !== OTHER_LABEL) this.#eventTypes.set(type, bound);
    }
    (outcome === 'dispatched' ? bound[0] : bound[1]).inc();
  }

  /** Reads `lucent_cluster_members` and `lucent_ring_share` from `view()` on every scrape. */
  observeCluster(view: () => ClusterView | undefined): void {
    this.#view = view;
  }

  /** Counts one error of `code` (`lucent_errors_total`). Known codes are pre-bound; others bind on first use. */
  error(code: string): void {
    let child = this.#errorsByCode.get(code);
    if (child === undefined) {
      child = this.#errors.bind([code]);
      this.#errorsByCode.set(code, child);
    }
    child.inc();
  }

  /** Counts one message forwarded to the node that owns its key. */
  forwarded(): void {
    this.#forwards.inc();
  }

  /**
   * Counts one retried call of `fn` (a function served here) for `reason` (`node_unavailable`, ...). Rare: binds
   * its series on use.
   */
  retried(fn: string, reason: string): void {
    this.#retries.bind([fn, reason]).inc();
  }

  /** Reads the pool gauges from `pool.stats()` on every scrape. Replaces an earlier source. */
  observePool(pool: PoolGaugeSource): void {
    this.#pool = pool;
  }

  /** Reads `lucent_active_actors` from `count()` on every scrape. */
  observeActiveActors(count: () => number): void {
    this.#activeActors = count;
  }

  /** The Prometheus text exposition of every series. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** `Content-Type` of {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

function bindOutcomes(bound: Map<string, OutcomeCounters>, family: CounterFamily, name: string): OutcomeCounters {
  let counters = bound.get(name);
  if (counters !== undefined) return counters;
  const other = bound.get(OTHER_LABEL);
  if (bound.size >= MAX_BOUND_NAMES && other !== undefined) return other;
  const label = bound.size >= MAX_BOUND_NAMES - 1 ? OTHER_LABEL : name;
  counters = new OutcomeCounters(family, label);
  bound.set(label, counters);
  return counters;
}
