/**
 * The function pool: runs pure functions from function modules on a piscina pool of worker threads, with
 * per-function batching, deadlines, crash retries and typed errors.
 *
 * ```
 *  call(name, input) ──► lane(name).queue ──┐  pump (a microtask after the first call of a tick,
 *  call(name, input) ──► lane(name).queue ──┤        and after every finished batch)
 *                                           ▼
 *         cut a batch: ≤ maxBatchSize calls, ≤ maxBatchEstimateMs by the lane's moving average
 *                                           ▼
 *         piscina.run([id, …, inputs]) ──► worker: run each call ──► [runMs, errors, …values]
 * ```
 *
 * At most `threads × maxTasksInFlightPerThread` tasks are in flight; further calls wait in their lane, which
 * is what lets batches grow under load while a lone call still goes out on the next microtask.
 *
 * Declared resources: the pump serves lanes by `priority` (`ready-lanes.ts`), never runs more than a function's
 * `maxConcurrency` at once, and a call finding `maxQueuedCalls` waiting is refused with `OverloadedError`
 * (`admission.ts`). A `cpu: 'low'` function runs on the calling thread instead, while it stays cheap
 * (`main-thread-runner.ts`); a function declaring `memory` runs in a pool of its own size (`memory-class-pools.ts`).
 *
 * Failures: a deadline aborts the task (piscina terminates the worker), the late calls fail with
 * `TimeoutError` and the others go back to the front of their queue (a re-run). A crashed worker (exit,
 * uncaught error, out of memory, or modules that fail to import in the worker) costs each of its calls an
 * attempt (`retry.maxAttempts` of the definition); calls with attempts left are re-run alone after the policy's
 * backoff, the rest fail with `WorkerCrashedError`. A handler that throws fails only its call (`HandlerError`).
 * A pool whose workers all fail to load the modules, `threads` in a row, is dead: with `onDeath` set it fails
 * its calls at once and reports it, for the shard's supervisor to replace it (`shard/shard-supervisor.ts`).
 *
 * Transfer: a batch crosses as one flat array by structured clone, and its outcomes come back the same way
 * (layout and measurements in `protocol.ts`).
 *
 * Deadlines: a caller's `deadline`/`timeoutMs` counts from the call (queueing included); a function's own
 * `resources.timeoutMs` counts from each dispatch of its batch to piscina (so a re-run gets a fresh budget).
 */
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import {
  type Clock,
  ConfigError,
  type Envelope,
  type EventDelivery,
  type FunctionRegistry,
  type LogThreshold,
  NO_SHARD,
  NodeUnavailableError,
  type ShardInfo,
} from '@lucent/core/internal';
import { Piscina } from 'piscina';
import { loadRegistry } from '../modules/load-registry.js';
import { DEFAULT_MAX_QUEUED_CALLS } from './admission.js';
import type { EffectsSink } from './call-effects.js';
import type { InlineVerdict } from './inline-run-budget.js';
import { Lane } from './lane.js';
import { heapLimitMb, MemoryClassPools, referencesByMemoryClass } from './memory-class-pools.js';
import { type EngineEvents, type EngineLimits, PoolEngine } from './pool-engine.js';
import { isWorkerLoadReport, poolWorkerData, type WorkerLoadReport } from './protocol.js';
import { TYPESCRIPT_HINT, workerLoaderHooks } from './worker-loader.js';
import { defaultWorkerFilename, toModuleUrl } from './worker-location.js';
import { WorkerStartTracker } from './worker-start-tracker.js';

/** Options of {@link createFunctionPool}. */
export interface FunctionPoolOptions {
  /**
   * Function modules (paths, `file:` URLs or bare specifiers). The workers import them; this thread too, unless
   * `registry` is given.
   */
  readonly modules: readonly (string | URL)[];
  /**
   * The registry of `modules`, already loaded on this thread (a node loads it once, for its router, and hands it
   * over). The pool reads its metadata (names, versions, timeouts, retry policies) from it and imports nothing
   * on this thread. Must hold what `modules` define: a reference it lacks is refused `UnknownFunctionError`, one
   * the workers lack fails there. Default: the pool loads `modules` itself.
   */
  readonly registry?: FunctionRegistry;
  /** Worker threads (fixed; the pool neither grows nor shrinks). Default: `os.availableParallelism()`. */
  readonly threads?: number;
  /**
   * Most calls in one piscina task. Default 512: a burst of 1000 calls then crosses to 2 workers as 2 tasks
   * instead of 8, and every task costs the main thread a structured clone and an `Atomics.notify` (measured
   * 10-80 µs on this VM) whatever its size. `maxBatchEstimateMs` still keeps slow functions' batches small.
   */
  readonly maxBatchSize?: number;
  /** Most estimated run time of one batch, in ms (per-function moving average × calls). Default 1. */
  readonly maxBatchEstimateMs?: number;
  /**
   * Piscina tasks in flight per thread. Default 1: piscina gives a worker one task at a time, and only one
   * if the task is abortable (every call with a deadline is), so a second task would wait in piscina's queue,
   * already cut; waiting in the lane instead lets it grow into the next, larger batch.
   */
  readonly maxTasksInFlightPerThread?: number;
  /**
   * V8 limits per worker (e.g. `maxOldGenerationSizeMb`); a worker over them dies like a crash. A function's
   * own `resources.memory` overrides `maxOldGenerationSizeMb` in its memory class's pool (`memory-class-pools.ts`).
   */
  readonly resourceLimits?: ResourceLimits;
  /**
   * Most calls waiting in the pool (all functions, queued or held back by `maxConcurrency`); a call past it
   * rejects at once with `OverloadedError` (counted in `stats().overloaded`). Default 50 000.
   */
  readonly maxQueuedCalls?: number;
  /**
   * Run `cpu: 'low'` functions (that declare no memory) on the calling thread while each run stays cheap
   * (p99 under 50 µs, no run over 5 ms; `inline-run-budget.ts`), skipping the workers. Default true.
   */
  readonly inlineLowCpu?: boolean;
  /** Called once per function when a `cpu: 'low'` function turned slow and moved to the workers (log a warning). */
  readonly onInlineMoved?: (name: string, verdict: InlineVerdict) => void;
  /** The compiled worker entry. Default: `dist/pool/worker.js` next to this file (`src/` maps to `dist/`). */
  readonly workerFilename?: string | URL;
  /** How long `close()` waits for queued and running calls before failing them. Default 10 000 ms. */
  readonly closeTimeoutMs?: number;
  /**
   * Called once when the pool dies: `threads` workers in a row could not load the function modules (see
   * `worker-start-tracker.ts`). The pool has then already given up: its calls failed with
   * `NodeUnavailableError` (reason {@link POOL_DIED_REASON}), new calls reject with `ShuttingDownError`, and
   * its workers are being terminated; the owner replaces it (the shard's supervisor does). Without this
   * option a pool whose workers cannot start keeps failing each call with `WorkerCrashedError`.
   */
  readonly onDeath?: (reason: string) => void;
  /** Time of deadlines, retry backoffs and the close timeout. Default `systemClock`. */
  readonly clock?: Clock;
  /**
   * Resolve only once a worker has loaded every function module, and reject with `ConfigError` (field
   * `functions`, the worker's import error as `cause`) when the first worker to report could not: a module the
   * main thread loads may still fail in a worker (a TypeScript loader that does not reach workers, a
   * worker-only import). Default false: resolve as soon as the workers are started.
   */
  readonly verifyWorkerStart?: boolean;
  /**
   * Node flags of the workers. Default `process.execArgv`, so a loader the main thread runs with
   * (`node --import tsx`) runs in the workers too (`worker-loader.ts` covers loaders that skip workers).
   */
  readonly execArgv?: readonly string[];
  /** What functions see as `ctx.shard` (default: no id, no tags). */
  readonly shard?: ShardInfo;
  /** Lowest level `ctx.logger` records in the workers (default `'info'`); lower levels cost nothing there. */
  readonly logLevel?: LogThreshold;
}

/** `NodeUnavailableError.reason` prefix of the calls a dead pool failed (see {@link FunctionPoolOptions.onDeath}). */
export const POOL_DIED_REASON = 'function pool died';

/** Options of one call. */
export interface CallOptions {
  /** Epoch ms (wall time, the clock's `wallNow()`) after which the call fails with `TimeoutError`. */
  readonly deadline?: number;
  /** Relative alternative to `deadline`; the earlier of the two (and of the function's own timeout) wins. */
  readonly timeoutMs?: number;
  /** Cancels the call (`CancelledError`); a running batch is aborted and its other calls re-run. */
  readonly signal?: AbortSignal;
  /** The durable event the call serves: the handler sees it as `ctx.event`. */
  readonly event?: EventDelivery;
  /** The request the call serves: `ctx` gets its correlation, causation, trace and metadata (`call-effects.ts`). */
  readonly request?: Envelope;
  /** Receives the call's log records and emitted events (dropped without it). */
  readonly effects?: EffectsSink;
  /** `input` is an array run element by element; resolves with a `BatchOutcome` (see `protocol.ts`). */
  readonly bulk?: boolean;
}

/** Counters for metrics, as plain numbers (monotonic unless noted). */
export interface FunctionPoolStats {
  /** Calls accepted. */
  readonly calls: number;
  /** Piscina tasks started (a re-run batch counts again). */
  readonly batches: number;
  /** Calls put back in their queue because another call of their batch timed out or was cancelled. */
  readonly reruns: number;
  /** Calls retried after a worker crashed under them. */
  readonly retries: number;
  /** Tasks lost to a worker crash, plus idle workers that died. */
  readonly crashes: number;
  /** Calls failed with `TimeoutError`. */
  readonly timeouts: number;
  /** Calls refused with `OverloadedError` because the pool's queue was full. */
  readonly overloaded: number;
  /** Calls of `cpu: 'low'` functions run on the main thread (counted in `calls` too). */
  readonly inlineCalls: number;
  /** Calls waiting in the pool's queues now (gauge). */
  readonly queueDepth: number;
  /** Piscina tasks in flight now (gauge). */
  readonly tasksInFlight: number;
  /** Piscina's utilization estimate in [0, 1] (mean task run time × tasks / (uptime × threads)). */
  readonly utilization: number;
}

/** A running pool. See the module documentation for batching and failure semantics. */
export interface FunctionPool {
  /**
   * Runs function `name` (or `name@version`) on `input`. Rejects with `UnknownFunctionError` (without a worker round trip),
   * `TimeoutError`, `CancelledError`, `HandlerError` (or the Lucent error the handler threw),
   * `WorkerCrashedError` once the attempts are spent, or `ShuttingDownError` after `close()`.
   * Calls of one function start in the order they were made.
   */
  call<O = unknown>(name: string, input: unknown, options?: CallOptions): Promise<O>;
  /**
   * `call`, but answering with the value itself when the run finished before returning: a `cpu: 'low'` function's
   * synchronous inline run, so its caller can reply in the same turn without a promise or a microtask. Every other
   * outcome, failures included, is a promise as `call` gives. A value that is not a `Promise` is the final value.
   * Optional: {@link callNow} falls back to `call`.
   */
  callNow?(name: string, input: unknown, options?: CallOptions): unknown;
  /** The references `call` accepts: every `name@version`, and `name` for the active version of each function. */
  readonly functions: readonly string[];
  /** A snapshot of the counters. */
  stats(): FunctionPoolStats;
  /**
   * Stops taking calls (new ones reject with `ShuttingDownError`), waits up to `closeTimeoutMs` for queued and
   * running calls, fails what is left with `ShuttingDownError`, then terminates the workers. Idempotent.
   */
  close(): Promise<void>;
}

/** Default {@link FunctionPoolOptions.maxBatchSize}. */
export const DEFAULT_MAX_BATCH_SIZE = 512;
/** Default {@link FunctionPoolOptions.maxTasksInFlightPerThread}. */
export const DEFAULT_TASKS_IN_FLIGHT_PER_THREAD = 1;

function positive(name: string, value: number | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ConfigError({ subject: 'function pool', field: name, reason: `must be a positive number, got ${value}` });
  }
  return value;
}

/**
 * Imports the modules (unless `registry` is given), starts the workers and returns the pool. Rejects with the
 * import error of a module that fails to load, or `ConfigError` for a bad option or a function name defined twice.
 */
export async function createFunctionPool(options: FunctionPoolOptions): Promise<FunctionPool> {
  const threads = positive('threads', options.threads, availableParallelism(), true);
  const maxBatchSize = positive('maxBatchSize', options.maxBatchSize, DEFAULT_MAX_BATCH_SIZE, true);
  const maxBatchEstimateMs = positive('maxBatchEstimateMs', options.maxBatchEstimateMs, 1, false);
  const perThread = positive(
    'maxTasksInFlightPerThread',
    options.maxTasksInFlightPerThread,
    DEFAULT_TASKS_IN_FLIGHT_PER_THREAD,
    true,
  );
  const closeTimeoutMs = positive('closeTimeoutMs', options.closeTimeoutMs, 10_000, false);
  const modules = options.modules.map(toModuleUrl);
  const registry = options.registry ?? (await loadRegistry(modules));
  // One lane per version, reachable by `name@version` and, for the active version, by `name`.
  const lanes = new Map<string, Lane>();
  for (const definition of registry.list()) lanes.set(definition.id, new Lane(definition));
  for (const definition of registry.list()) {
    const active = registry.find(definition.name);
    if (active !== undefined) lanes.set(definition.name, lanes.get(active.id)!);
  }
  const filename = options.workerFilename ?? defaultWorkerFilename();
  const execArgv = [...(options.execArgv ?? process.execArgv)];
  const limits: EngineLimits = {
    maxBatchSize,
    maxBatchEstimateMs,
    maxTasksInFlight: threads * perThread,
    closeTimeoutMs,
    maxQueuedCalls: positive('maxQueuedCalls', options.maxQueuedCalls, DEFAULT_MAX_QUEUED_CALLS, true),
    inlineLowCpu: options.inlineLowCpu ?? true,
    inlineContext: {
      shard: options.shard === undefined ? NO_SHARD : { id: options.shard.id, tags: [...options.shard.tags] },
      logLevel: options.logLevel ?? 'info',
    },
  };
  const events: EngineEvents = options.onInlineMoved === undefined ? {} : { onInlineMoved: options.onInlineMoved };
  /** A piscina pool and its engine for `references`, with V8 `resourceLimits` per worker when given. */
  const startPool = (references: readonly string[], resourceLimits: ResourceLimits | undefined) => {
    const own = new Map<string, Lane>();
    for (const reference of references) own.set(reference, lanes.get(reference)!);
    const piscina = new Piscina({
      filename: typeof filename === 'string' ? filename : filename.href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      execArgv,
      workerData: poolWorkerData(modules, workerLoaderHooks(execArgv), options),
      ...(resourceLimits === undefined ? {} : { resourceLimits }),
    });
    return { piscina, engine: new PoolEngine(piscina, own, limits, options.clock, events) };
  };
  // Functions that declare `resources.memory` get pools of their own, capped and started lazily.
  const byClass = referencesByMemoryClass(registry);
  const { piscina, engine } = startPool(byClass.get(0) ?? [], options.resourceLimits);
  const firstReport = options.verifyWorkerStart === true ? nextLoadReport(piscina) : undefined;
  const onDeath = options.onDeath;
  if (onDeath !== undefined) watchWorkerStarts(piscina, engine, threads, onDeath);
  if (firstReport !== undefined) {
    const report = await firstReport;
    if (report.lucentWorkerLoad === 'failed') {
      await engine.close();
      throw workerLoadError(report.reason ?? 'unknown error');
    }
  }
  if ([...byClass.keys()].every((bytes) => bytes === 0)) return engine;
  return new MemoryClassPools(engine, byClass, (bytes, references) => {
    const capped = { ...options.resourceLimits, maxOldGenerationSizeMb: heapLimitMb(bytes) };
    return startPool(references, capped).engine;
  });
}

/** The first {@link WorkerLoadReport} any worker of `piscina` posts. */
function nextLoadReport(piscina: Piscina): Promise<WorkerLoadReport> {
  return new Promise((resolve) => {
    const listener = (message: unknown): void => {
      if (!isWorkerLoadReport(message)) return;
      piscina.off('message', listener);
      resolve(message);
    };
    piscina.on('message', listener);
  });
}

function workerLoadError(reason: string): ConfigError {
  const hint =
    reason.includes('ERR_UNKNOWN_FILE_EXTENSION') || reason.includes('Unknown file extension')
      ? ` (${TYPESCRIPT_HINT})`
      : '';
  return new ConfigError({
    subject: 'lucent-node option --functions',
    field: 'functions',
    reason: `a pool worker cannot load the function modules: ${reason}${hint}`,
  });
}

/** Feeds the workers' load reports to a {@link WorkerStartTracker}; on death gives the engine up and tells the owner. */
function watchWorkerStarts(
  piscina: Piscina,
  engine: PoolEngine,
  threads: number,
  onDeath: (reason: string) => void,
): void {
  const tracker = new WorkerStartTracker(threads);
  piscina.on('message', (message: unknown) => {
    if (!isWorkerLoadReport(message)) return;
    if (!tracker.record(message.lucentWorkerLoad === 'loaded')) return;
    const reason = `${threads} worker(s) in a row could not load the function modules: ${message.reason ?? 'unknown error'}`;
    void engine.abandon(new NodeUnavailableError({ node: 'function pool', reason: `${POOL_DIED_REASON}: ${reason}` }));
    onDeath(reason);
  });
}
