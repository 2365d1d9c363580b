/**
 * A set of warm pool workers (one piscina pool) that deployed versions are loaded into and unloaded from while
 * they run, so a new version costs an import per worker instead of new threads (issue 13: a worker thread's
 * start cost ~88 ms of CPU on this machine, taken from the calls being served during a hot swap).
 *
 * ```
 *  load(module)   ─► workerData.deployed += module   (a worker started from now on imports it at start)
 *                 ─► a `loadModule` task to each worker now running, pinned to it (the balancer below)
 *                 ─► resolves once every one of them has it bound; any failure: undone, rejects
 *  unload(id)     ─► workerData.deployed -= module ─► an `unloadModule` task to each worker
 *  engines        ─► share the piscina through `runner` (their batches name the deployed ids they run)
 * ```
 * Pinning: piscina has no per-worker post, and an idle worker blocks in `Atomics.wait` until a task comes, so a
 * load travels as a task. The task carries its target thread under piscina's `queueOptionsSymbol`, which the
 * pool's load balancer reads: a pinned task waits for its worker to be idle; every other task goes to the first
 * idle worker (piscina's own least-busy rule with one task per worker). While a pinned task waits, piscina's
 * queue drain stops at it, so a batch queued in piscina behind it may wait until the pinned worker's current task
 * ends (once per load or unload; batches are cut to about 1 ms of estimated run time). A pinned task whose worker
 * is destroyed is aborted: the replacement loads the version from `workerData` at start.
 *
 * The `workerData` list is the object piscina hands to every new worker (piscina keeps the reference it is
 * given; `test/integration/pool-modules.test.ts` checks that a replacement worker serves a version loaded before
 * the crash).
 */
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { ConfigError, type LogThreshold, type ShardInfo } from '@lucent/core/internal';
import { Piscina } from 'piscina';
import type { TaskRunner } from './pool-engine.js';
import {
  type BatchResult,
  type BatchTask,
  isWorkerLoadReport,
  LOAD_MODULE_HANDLER,
  poolWorkerData,
  UNLOAD_MODULE_HANDLER,
  type WorkerModule,
} from './protocol.js';
import type { TaskAbortHandle } from './task-abort-handle.js';
import { workerLoaderHooks } from './worker-loader.js';
import { defaultWorkerFilename } from './worker-location.js';

/** Options of {@link ModuleWorkers.start}. */
export interface ModuleWorkersOptions {
  /** Worker threads (fixed). Default `os.availableParallelism()`. */
  readonly threads?: number;
  /** V8 limits per worker (a memory class's heap cap). */
  readonly resourceLimits?: ResourceLimits;
  /** The compiled worker entry (default `dist/pool/worker.js`). */
  readonly workerFilename?: string | URL;
  /** Node flags of the workers. Default `process.execArgv`. */
  readonly execArgv?: readonly string[];
  readonly shard?: ShardInfo;
  readonly logLevel?: LogThreshold;
}

type Balancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']>;
/** Where a pinned task says which thread it is for (piscina's public queue-options slot of a task). */
const TARGET: symbol = Piscina.queueOptionsSymbol;

/** A pinned task goes to its thread when that is idle; any other to the first idle worker (one task per worker). */
const pinningBalancer: Balancer = (task, workers) => {
  const target = (task as unknown as Record<symbol, { threadId: number } | null>)[TARGET];
  if (target === null || target === undefined) {
    for (const worker of workers) if (worker.currentUsage === 0) return worker;
    return null;
  }
  for (const worker of workers) if (worker.id === target.threadId) return worker.currentUsage === 0 ? worker : null;
  return null;
};

/** See the module doc. */
export class ModuleWorkers {
  readonly #piscina: Piscina;
  /** `workerData.deployed`: piscina clones it into every worker it starts. */
  readonly #deployed: WorkerModule[];
  /** Pinned tasks not settled, by thread: aborted when their thread goes. */
  readonly #pinned = new Map<number, Set<AbortController>>();
  /** Worker threads started, the first ones included (a hot swap must not add any). */
  workerStarts = 0;
  /** Workers that died with no task on them. */
  idleCrashes = 0;
  /** What the engines run batches through: this pool's piscina, which they must not destroy. */
  readonly runner: TaskRunner;

  private constructor(piscina: Piscina, deployed: WorkerModule[]) {
    this.#piscina = piscina;
    this.#deployed = deployed;
    piscina.on('workerCreate', () => {
      this.workerStarts++;
    });
    piscina.on('workerDestroy', (worker: { id: number }) => {
      for (const controller of this.#pinned.get(worker.id) ?? []) controller.abort();
    });
    // Unhandled, a worker that dies with no task would throw; the engines see crashes through their tasks.
    piscina.on('error', () => {
      this.idleCrashes++;
    });
    this.runner = {
      run: (task: BatchTask, options?: { signal: TaskAbortHandle }): Promise<BatchResult> =>
        piscina.run(task, options) as Promise<BatchResult>,
      on: () => this.runner,
      get utilization() {
        return piscina.utilization;
      },
      // The workers outlive each engine: `close()` ends them.
      destroy: () => Promise.resolve(),
    };
  }

  /**
   * Starts the workers and resolves once each has started (imported the worker entry). Rejects
   * with `ConfigError` (field `functions`) when a worker cannot start.
   */
  static async start(options: ModuleWorkersOptions): Promise<ModuleWorkers> {
    const threads = options.threads ?? availableParallelism();
    const execArgv = [...(options.execArgv ?? process.execArgv)];
    const filename = options.workerFilename ?? defaultWorkerFilename();
    const deployed: WorkerModule[] = [];
    const piscina = new Piscina({
      filename: typeof filename === 'string' ? filename : filename.href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      execArgv,
      loadBalancer: pinningBalancer,
      workerData: poolWorkerData([], workerLoaderHooks(execArgv), options, deployed),
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    const workers = new ModuleWorkers(piscina, deployed);
    const failure = await new Promise<string | undefined>((resolve) => {
      let started = 0;
      const listener = (message: unknown): void => {
        if (!isWorkerLoadReport(message)) return;
        const failed = message.lucentWorkerLoad === 'failed';
        if (!failed && ++started < threads) return;
        piscina.off('message', listener);
        resolve(failed ? (message.reason ?? 'unknown error') : undefined);
      };
      piscina.on('message', listener);
    });
    if (failure !== undefined) {
      await piscina.destroy();
      const reason = `a pool worker cannot start: ${failure}`;
      throw new ConfigError({ subject: 'deployed function pool', field: 'functions', reason });
    }
    return workers;
  }

  /** Worker threads alive now. */
  get threads(): number {
    return this.#piscina.threads.length;
  }

  /** Share of the threads' time spent running tasks, in [0, 1]. */
  get utilization(): number {
    return this.#piscina.utilization;
  }

  /**
   * Loads `module` into every worker (see the module doc). Rejects with the first worker's failure (import
   * error, missing export); the version is then unloaded from every worker again. Idempotent.
   */
  async load(module: WorkerModule): Promise<void> {
    const at = this.#deployed.findIndex((m) => m.id === module.id);
    if (at >= 0) this.#deployed[at] = module;
    else this.#deployed.push(module);
    try {
      await this.#onEveryWorker(LOAD_MODULE_HANDLER, { module });
    } catch (error) {
      await this.unload(module.id);
      throw error;
    }
  }

  /** Unbinds deployed version `id` in every worker and stops giving it to new ones. Never rejects. */
  async unload(id: string): Promise<void> {
    const at = this.#deployed.findIndex((m) => m.id === id);
    if (at >= 0) this.#deployed.splice(at, 1);
    await this.#onEveryWorker(UNLOAD_MODULE_HANDLER, { id }).catch(() => undefined);
  }

  /** Terminates the workers (tasks still pending reject). */
  async close(): Promise<void> {
    await this.#piscina.destroy();
  }

  async #onEveryWorker(name: string, payload: object): Promise<void> {
    const threadIds = this.#piscina.threads.map((worker) => worker.threadId);
    await Promise.all(threadIds.map((threadId) => this.#onWorker(threadId, name, payload)));
  }

  /** Runs task `name` on thread `threadId`; resolves at once when that thread is gone before it ran the task. */
  async #onWorker(threadId: number, name: string, payload: object): Promise<void> {
    const controller = new AbortController();
    const pinned = this.#pinned.get(threadId) ?? new Set<AbortController>();
    pinned.add(controller);
    this.#pinned.set(threadId, pinned);
    try {
      await this.#piscina.run({ ...payload, [TARGET]: { threadId } }, { name, signal: controller.signal });
    } catch (error) {
      // Its thread was destroyed: the replacement loads what `workerData` lists at start.
      if (!controller.signal.aborted) throw error;
    } finally {
      pinned.delete(controller);
      if (pinned.size === 0) this.#pinned.delete(threadId);
    }
  }
}
