/**
 * The pool of a node's deployed versions: one set of warm workers per memory class (`module-workers.ts`), and
 * per loaded version a pool engine (its lane, batching, deadlines, crash retries) that runs on its class's
 * workers. A new version is loaded into the workers already running; no thread starts for it.
 *
 * ```
 *  load(definition, url, exportId) ─► class of definition.resources.memory ─┬─ workers running: load into each
 *                                                                            └─ none yet: start them with it
 *                                  ─► an engine with one lane (id = name@version) ─► its FunctionPool
 *  unload(id) ─► the engine closes (calls queued and running on it finish, bounded) ─► unbound in the workers
 * ```
 * Calls reach a version through the pool `load` returned; calls that started on it finish on it even while the
 * next version is loaded beside it, because each batch names the deployed id it runs.
 */
import type { ResourceLimits } from 'node:worker_threads';
import {
  type Clock,
  type FunctionDefinition,
  type LogThreshold,
  NO_SHARD,
  type ShardInfo,
} from '@lucent/core/internal';
import { DEFAULT_MAX_QUEUED_CALLS } from './admission.js';
import { DEFAULT_MAX_BATCH_SIZE, type FunctionPool, type FunctionPoolStats } from './function-pool.js';
import { Lane } from './lane.js';
import { heapLimitMb } from './memory-class-pools.js';
import { ModuleWorkers } from './module-workers.js';
import { addPoolCounters, NO_COUNTERS, type PoolCounters } from './pool-counters.js';
import { type EngineLimits, PoolEngine } from './pool-engine.js';
import type { WorkerModule } from './protocol.js';

/** Options of {@link ModulePool}. */
export interface ModulePoolOptions {
  /** Worker threads per memory class. */
  readonly threads: number;
  /** How long unloading a version (and `close()`) waits for its calls before failing them. */
  readonly closeTimeoutMs: number;
  readonly clock?: Clock;
  /** Most calls waiting per version (past it: `OverloadedError`). Default 50 000. */
  readonly maxQueuedCalls?: number;
  /** V8 limits of the default class's workers; a memory class caps `maxOldGenerationSizeMb` at its size. */
  readonly resourceLimits?: ResourceLimits;
  readonly shard?: ShardInfo;
  readonly logLevel?: LogThreshold;
  /** The compiled worker entry (default `dist/pool/worker.js`). */
  readonly workerFilename?: string | URL;
  /** Node flags of the workers (default `process.execArgv`). */
  readonly execArgv?: readonly string[];
}

/** See the module doc. `load` and `unload` of one id must not overlap (the registry serializes them). */
export class ModulePool {
  readonly #o: ModulePoolOptions;
  readonly #limits: EngineLimits;
  /** Memory class (bytes, 0 = none declared) ─► its workers, started on the first version that needs them. */
  readonly #workers = new Map<number, Promise<ModuleWorkers>>();
  /** Deployed id ─► its engine and its class's workers. */
  readonly #versions = new Map<string, { readonly engine: PoolEngine; readonly workers: ModuleWorkers }>();
  /** The workers of the classes started so far. */
  readonly #started: ModuleWorkers[] = [];
  /** Counters of the engines already closed. */
  #past: PoolCounters = NO_COUNTERS;

  constructor(options: ModulePoolOptions) {
    this.#o = options;
    this.#limits = {
      maxBatchSize: DEFAULT_MAX_BATCH_SIZE,
      maxBatchEstimateMs: 1,
      maxTasksInFlight: options.threads,
      closeTimeoutMs: options.closeTimeoutMs,
      maxQueuedCalls: options.maxQueuedCalls ?? DEFAULT_MAX_QUEUED_CALLS,
      inlineLowCpu: true,
      inlineContext: {
        shard: options.shard === undefined ? NO_SHARD : { id: options.shard.id, tags: [...options.shard.tags] },
        logLevel: options.logLevel ?? 'info',
      },
    };
  }

  /**
   * Loads deployed version `definition` (its `id` is the deployed `name@version`) from the bundle at `url`, where
   * it is defined as `exportId`, into every worker of its memory class, and resolves with the pool its calls go
   * to (by `definition.id`). Rejects with the workers' import error (the version is then not loaded anywhere),
   * or `ConfigError` when the class's workers cannot start. Loading a loaded id again returns its pool.
   */
  async load(definition: FunctionDefinition, url: string, exportId: string): Promise<FunctionPool> {
    const loaded = this.#versions.get(definition.id);
    if (loaded !== undefined) return loaded.engine;
    const module: WorkerModule = { id: definition.id, url, exportId };
    const bytes = definition.resources.memoryBytes;
    let starting = this.#workers.get(bytes);
    if (starting === undefined) {
      // The class's first version starts its workers (once; later versions load into them).
      starting = this.#startWorkers(bytes);
      this.#workers.set(bytes, starting);
      starting.then(
        (workers) => this.#started.push(workers),
        () => this.#workers.delete(bytes),
      );
    }
    const workers = await starting;
    await workers.load(module);
    const engine = new PoolEngine(
      workers.runner,
      new Map([[definition.id, new Lane(definition)]]),
      this.#limits,
      this.#o.clock,
    );
    this.#versions.set(definition.id, { engine, workers });
    return engine;
  }

  /**
   * Unloads version `id`: its pool stops taking calls, the calls queued and running on it finish (failing with
   * `ShuttingDownError` past the close timeout), then every worker unbinds it. Never rejects; idempotent.
   */
  async unload(id: string): Promise<void> {
    const loaded = this.#versions.get(id);
    if (loaded === undefined) return;
    this.#versions.delete(id);
    await loaded.engine.close();
    this.#past = addPoolCounters(this.#past, loaded.engine.stats());
    await loaded.workers.unload(id);
  }

  /** Worker threads started so far, over every memory class (a hot swap adds none). */
  get workerStarts(): number {
    return this.#started.reduce((sum, workers) => sum + workers.workerStarts, 0);
  }

  /** Worker threads alive now, over every memory class. */
  get threads(): number {
    return this.#started.reduce((sum, workers) => sum + workers.threads, 0);
  }

  /** Counters over every version loaded so far; gauges of the versions loaded now. */
  stats(): FunctionPoolStats {
    let counters = this.#past;
    let queueDepth = 0;
    let tasksInFlight = 0;
    for (const { engine } of this.#versions.values()) {
      const s = engine.stats();
      counters = addPoolCounters(counters, s);
      queueDepth += s.queueDepth;
      tasksInFlight += s.tasksInFlight;
    }
    const utilization = Math.max(0, ...this.#started.map((workers) => workers.utilization));
    // Workers that died with no task are the workers' to count (every version's engine shares them).
    const idleCrashes = this.#started.reduce((sum, workers) => sum + workers.idleCrashes, 0);
    return { ...counters, crashes: counters.crashes + idleCrashes, queueDepth, tasksInFlight, utilization };
  }

  /** Unloads every version (as {@link unload}, together) and terminates the workers. Idempotent. */
  async close(): Promise<void> {
    await Promise.all([...this.#versions.keys()].map((id) => this.unload(id)));
    await Promise.allSettled(this.#workers.values());
    this.#workers.clear();
    await Promise.all(this.#started.splice(0).map((workers) => workers.close()));
  }

  #startWorkers(bytes: number): Promise<ModuleWorkers> {
    const o = this.#o;
    const resourceLimits =
      bytes === 0 ? o.resourceLimits : { ...o.resourceLimits, maxOldGenerationSizeMb: heapLimitMb(bytes) };
    return ModuleWorkers.start({
      threads: o.threads,
      ...(resourceLimits === undefined ? {} : { resourceLimits }),
      ...(o.workerFilename === undefined ? {} : { workerFilename: o.workerFilename }),
      ...(o.execArgv === undefined ? {} : { execArgv: o.execArgv }),
      ...(o.shard === undefined ? {} : { shard: o.shard }),
      ...(o.logLevel === undefined ? {} : { logLevel: o.logLevel }),
    });
  }
}
