/**
 * Every node publishes its load: a {@link ShardExtension} that samples the node every `intervalMs`
 * (`LoadSampler`), writes the score where the router reads it (an owner at >= 0.9 refuses `hash`/`sticky`
 * calls), and publishes the report on `lucent.<cluster>.metrics.<id>`, which every membership (nodes and
 * clients) folds into its cluster view (`membership/load-report-listener.ts`). Heartbeats carry the compact form
 * (`compactLoad`) of the latest sample.
 *
 * ```
 *  start ─► sampler ─► every intervalMs: sample ─► local.score ─► router (overload gate)
 *                                               └► publish metrics.<id> ─► views (leastLoaded, roundRobin, …)
 * ```
 */
import type { TimerHandle } from '@lucent/actors/internal';
import {
  type Clock,
  compactLoad,
  type LoadReport,
  metricsSubject,
  type NodeLoadReport,
  toLucentError,
} from '@lucent/core/internal';
import { Gauge, type Registry } from 'prom-client';
import { IDLE_LOAD } from '../membership/membership-options.js';
import type { LocalLoad } from '../router/overload-gate.js';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';
import type { FunctionLatencies } from './function-latency.js';
import { encodeLoadReport } from './load-report-codec.js';
import { LoadSampler } from './load-sampler.js';
import { type NodeCounters, systemLoadProbes } from './system-load-probes.js';

/** Default {@link LoadReporterOptions.intervalMs}. */
export const DEFAULT_LOAD_REPORT_INTERVAL_MS = 1000;

export interface LoadReporterOptions {
  /** Time between two samples (and reports). Default 1000. */
  readonly intervalMs?: number;
  /** The router's holder of this node's load (`RequestHandlerOptions.load`). */
  readonly local: LocalLoad;
  /** Calls and asks answered so far (the router's stats), `undefined` until the router exists. */
  readonly answers: () => { readonly succeeded: number; readonly failed: number } | undefined;
  /** Run times of the functions this node serves (fed by the router); their degradation rides in the report. */
  readonly latencies?: FunctionLatencies;
}

const NO_ANSWERS = Object.freeze({ succeeded: 0, failed: 0 });
const NO_FUNCTIONS: readonly string[] = Object.freeze([]);

/** `lucent_function_degraded{function}`: 1 for each function degraded on this node now (absent otherwise). */
function registerDegradedGauge(registry: Registry, degraded: () => readonly string[]): void {
  new Gauge({
    name: 'lucent_function_degraded',
    help: '1 for a function whose p50 on this node runs past 1.5x its recent baseline (placement prefers others)',
    labelNames: ['function'],
    registers: [registry],
    collect() {
      this.reset();
      for (const name of degraded()) this.set({ function: name }, 1);
    },
  });
}

/** See the module doc. One per node. */
export class LoadReporterExtension implements ShardExtension {
  readonly name = 'load-reporter';
  readonly intervalMs: number;
  /** Reports published so far. */
  published = 0;
  readonly #options: LoadReporterOptions;
  #sampler: LoadSampler | undefined = undefined;
  #context: ShardContext | undefined = undefined;
  #timer: TimerHandle | undefined = undefined;
  #startedAt = 0;
  readonly #onTimer = (): void => this.#tick();
  readonly #listeners: ((report: NodeLoadReport) => void)[] = [];

  constructor(options: LoadReporterOptions) {
    this.#options = options;
    this.intervalMs = options.intervalMs ?? DEFAULT_LOAD_REPORT_INTERVAL_MS;
    options.local.retryAfterMs = this.intervalMs;
  }

  /** Calls `listener` with every sample, after it was published (the rebalancer reads them). */
  onSample(listener: (report: NodeLoadReport) => void): void {
    this.#listeners.push(listener);
  }

  /** The latest report, or `undefined` before the first sample. */
  get latest(): NodeLoadReport | undefined {
    return this.#sampler?.latest;
  }

  /** What heartbeats carry: the compact form of the latest report (idle before the first). */
  compact(): LoadReport {
    const latest = this.#sampler?.latest;
    return latest === undefined ? IDLE_LOAD : compactLoad(latest);
  }

  start(context: ShardContext): void {
    const { pool, actors, config } = context;
    const threads = config.threads;
    const counters: NodeCounters = {
      pool: () => {
        if (pool === undefined) return undefined;
        const stats = pool.stats();
        // Piscina tasks past the thread count wait in piscina's own queue.
        const running = Math.min(threads, stats.tasksInFlight);
        const queued = stats.queueDepth + Math.max(0, stats.tasksInFlight - threads);
        // Tasks started and no longer in flight: finished (or lost with a worker), so the pool made progress.
        return { threads, running, queued, finished: stats.batches - stats.tasksInFlight };
      },
      activeActors: () => actors.activeCount,
      answers: () => this.#options.answers() ?? NO_ANSWERS,
      // One interval of run times ends with each sample.
      degraded: () => this.#options.latencies?.endInterval() ?? NO_FUNCTIONS,
    };
    registerDegradedGauge(context.metrics.registry, () => this.#sampler?.latest?.degraded ?? NO_FUNCTIONS);
    this.#context = context;
    this.#sampler = new LoadSampler(context.nodeId, systemLoadProbes(counters), this.#options.local);
    this.#startedAt = context.clock.now();
    this.#tick();
  }

  beginShutdown(): void {
    this.stop();
  }

  stop(): void {
    const context = this.#context;
    if (this.#timer !== undefined && context !== undefined) context.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#context = undefined;
  }

  #tick(): void {
    const context = this.#context;
    const sampler = this.#sampler;
    if (context === undefined || sampler === undefined) return;
    const clock: Clock = context.clock;
    const report = sampler.sample(clock.now(), clock.wallNow(), this.#startedAt);
    try {
      context.transport.send(metricsSubject(context.cluster, context.nodeId), encodeLoadReport(context.codec, report));
      this.published++;
    } catch (error) {
      context.logger.warn({ err: toLucentError(error, 'load report') }, 'load.report_failed');
    }
    for (const listener of this.#listeners) {
      try {
        listener(report);
      } catch (error) {
        context.logger.warn({ err: toLucentError(error, 'load listener') }, 'load.listener_failed');
      }
    }
    this.#timer = clock.setTimeout(this.#onTimer, this.intervalMs);
  }
}
