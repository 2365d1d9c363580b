/**
 * The piscina worker entry: runs one {@link BatchTask} and answers with a {@link BatchResult}. Compiled to
 * `dist/pool/worker.js`, which is the file piscina loads (it cannot load TypeScript).
 *
 * The function modules (from `workerData`) are imported once, when this module loads, so the first task
 * does not pay for it. A module that fails to import fails every task this worker gets; the pool treats
 * that like a crash (retried, then `WorkerCrashedError`), since no call could have run. Either way the worker
 * posts a {@link WorkerLoadReport} to the pool, which declares itself dead when every worker in a row failed.
 *
 * Deployed modules (`module-workers.ts`) come and go while the worker runs: the pool sends a `loadModule` or
 * `unloadModule` task to each worker (the exports below, `worker-modules.ts` keeps the map), and a worker that
 * replaces a crashed one loads the current ones from `workerData.deployed` at start. A batch names the deployed id
 * it runs, so calls that started on a version finish on it while the next one is loaded beside it.
 *
 * A handler that throws (or rejects) fails only its own call: the error becomes wire data (a Lucent error
 * keeps its code; anything else is a `HandlerError` with the thrown name and message). Everything else that
 * goes wrong (process.exit, an uncaught error from a timer, running out of heap) kills this worker, and
 * piscina rejects the task for the pool to handle.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import {
  CallContext,
  type FunctionContext,
  type FunctionRegistry,
  type LogThreshold,
  NO_METADATA,
  NO_SHARD,
  type ShardInfo,
  toLucentError,
  type WireError,
} from '@lucent/core/worker';
import { loadRegistry } from '../modules/load-registry.js';
import {
  type BatchErrors,
  type BatchResult,
  type BatchTask,
  type CallEffects,
  type LoadModuleTask,
  type PoolWorkerData,
  RESULT_EFFECTS,
  RESULT_ERRORS,
  RESULT_RUN_MS,
  RESULT_VALUES,
  TASK_ATTEMPTS,
  TASK_BULK,
  TASK_CONTEXTS,
  TASK_DEADLINES,
  TASK_EVENTS,
  TASK_INPUTS,
  TASK_NAME,
  type TaskContext,
  type UnloadModuleTask,
  type WorkerLoadReport,
  type WorkerModule,
} from './protocol.js';
import { isUnknownExtensionError } from './worker-loader.js';
import { WorkerModules } from './worker-modules.js';

const shard: ShardInfo = (workerData as PoolWorkerData).shard ?? NO_SHARD;
const logLevel: LogThreshold = (workerData as PoolWorkerData).logLevel ?? 'info';
let registry: FunctionRegistry | undefined;
let loadError: unknown;
const deployed = new WorkerModules();
const loading: Promise<void> = loadModules(workerData as PoolWorkerData).then(
  async (loaded) => {
    await loadDeployed((workerData as PoolWorkerData).deployed ?? []);
    registry = loaded;
    report({ lucentWorkerLoad: 'loaded', reason: null });
  },
  (error: unknown) => {
    loadError = error;
    report({
      lucentWorkerLoad: 'failed',
      reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  },
);

/**
 * Imports the function modules. When one is TypeScript and the main thread's loader did not register itself in
 * this worker (`worker-loader.ts`), registers the loader here and imports once more.
 */
async function loadModules(data: PoolWorkerData): Promise<FunctionRegistry> {
  try {
    return await loadRegistry(data.modules);
  } catch (error) {
    const hooks = data.loaderHooks ?? [];
    if (!isUnknownExtensionError(error) || hooks.length === 0) throw error;
    for (const hook of hooks) {
      // Resolved from this file: in a user's project that is its node_modules, where the loader is installed.
      const api = (await import(hook)) as { register?: () => unknown };
      if (typeof api.register !== 'function') throw error;
      api.register();
    }
    // A failed import stays in the module map under its URL: import the files again under a fresh query.
    return await loadRegistry(data.modules.map((module) => (module.startsWith('file:') ? `${module}?loader` : module)));
  }
}

/**
 * Loads the deployed modules current when this worker was started (it replaces one that crashed, or the pool
 * grew). One that fails here is left out: the main thread imported it and the other workers loaded it, so its
 * calls reaching this worker fail as a missing function would (a crash for the pool: retried elsewhere).
 */
async function loadDeployed(modules: readonly WorkerModule[]): Promise<void> {
  for (const module of modules) await deployed.load(module).catch(() => undefined);
}

/** `loadModule` task: imports a deployed version's bundle (once per worker) and binds its id; resolves with this thread's id. */
export async function loadModule(task: LoadModuleTask): Promise<number> {
  await deployed.load(task.module);
  return threadId;
}

/** `unloadModule` task: unbinds a deployed version; returns this thread's id. */
export function unloadModule(task: UnloadModuleTask): number {
  deployed.unload(task.id);
  return threadId;
}

/** Tells the pool whether this worker could start (it counts workers that could not). */
function report(outcome: WorkerLoadReport): void {
  parentPort?.postMessage(outcome);
}

// Piscina imports this module before the worker reports ready and then blocks the thread in `Atomics.wait`
// between tasks, so the modules must finish loading (and the report go out) during that import: a load still
// pending then would only progress once a task arrives.
await loading;

/** The context of call `i`: one `CallContext` (core's, the same class as the inline runner's) per call. */
function contextOf(
  name: string,
  attempt: number,
  deadline: number,
  entry: string | TaskContext | null | undefined,
  event: { id: string; attempt: number } | undefined,
): CallContext {
  if (typeof entry === 'string') {
    return new CallContext(name, attempt, deadline, entry, entry, '', NO_METADATA, shard, event, logLevel);
  }
  if (entry === null || entry === undefined) {
    return new CallContext(name, attempt, deadline, '', '', '', NO_METADATA, shard, event, logLevel);
  }
  const metadata = entry[3] ?? NO_METADATA;
  return new CallContext(name, attempt, deadline, entry[0], entry[1], entry[2], metadata, shard, event, logLevel);
}

/** Adds call `index`'s records and emitted events to the batch's effects (made on the first call that has any). */
function collect(effects: (CallEffects | null)[] | null, count: number, index: number, ctx: CallContext) {
  const records = ctx.records;
  if (records === null && ctx.emitted === null) return effects;
  const out = effects ?? new Array<CallEffects | null>(count).fill(null);
  out[index] = [records, ctx.emitted];
  return out;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function fail(errors: BatchErrors | null, count: number, index: number, error: WireError): BatchErrors {
  const out = errors ?? new Array<WireError | null>(count).fill(null);
  out[index] = error;
  return out;
}

/**
 * A bulk call (see `protocol.ts`): the handler on every element of `inputs`, each with its own context; the
 * outcome lists each element's value or wire error. Synchronous when every handler was.
 */
function runBulk(
  name: string,
  handler: (ctx: FunctionContext, input: unknown) => unknown,
  inputs: unknown,
  contextFor: () => CallContext,
): { values: unknown[]; errors: BatchErrors | null } | Promise<{ values: unknown[]; errors: BatchErrors | null }> {
  const list = Array.isArray(inputs) ? inputs : [];
  const count = list.length;
  const outcome: { values: unknown[]; errors: BatchErrors | null } = {
    values: new Array<unknown>(count),
    errors: null,
  };
  let pending: Promise<void>[] | null = null;
  for (let j = 0; j < count; j++) {
    try {
      const value = handler(contextFor() as FunctionContext, list[j]);
      if (isThenable(value)) {
        const slot = j;
        pending ??= [];
        pending.push(
          Promise.resolve(value).then(
            (v) => {
              outcome.values[slot] = v;
            },
            (e: unknown) => {
              outcome.errors = fail(outcome.errors, count, slot, toLucentError(e, name).toWire());
            },
          ),
        );
      } else {
        outcome.values[j] = value;
      }
    } catch (e) {
      outcome.errors = fail(outcome.errors, count, j, toLucentError(e, name).toWire());
    }
  }
  return pending === null ? outcome : Promise.all(pending).then(() => outcome);
}

/**
 * Runs every call of `task` in order; async handlers are awaited together after the synchronous pass. Returns
 * the result directly when every handler was synchronous (no promise for piscina to wait on).
 */
function runBatch(task: BatchTask): BatchResult | Promise<BatchResult> {
  if (registry === undefined) {
    return loading.then(() => {
      if (registry === undefined) throw loadError;
      return runBatch(task);
    });
  }
  // `name@version`, resolved on the main thread from the same modules; a miss (UnknownFunctionError) fails
  // the task, which the pool treats like a crash.
  const id = task[TASK_NAME] as string;
  const definition = deployed.bound.size === 0 ? registry.get(id) : (deployed.bound.get(id) ?? registry.get(id));
  const name = definition.name;
  const handler = definition.handler;
  const attempts = task[TASK_ATTEMPTS] as number[] | null;
  const deadlines = task[TASK_DEADLINES] as number[] | null;
  const events = task[TASK_EVENTS] as ([string, number] | null)[] | null;
  const contexts = task[TASK_CONTEXTS] as (string | TaskContext | null)[] | null;
  const bulk = task[TASK_BULK] as boolean[] | null;
  const count = task.length - TASK_INPUTS;
  const result: BatchResult = new Array<unknown>(RESULT_VALUES + count);
  let errors: BatchErrors | null = null;
  let effects: (CallEffects | null)[] | null = null;
  let pending: Promise<void>[] | null = null;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const deadline = deadlines === null ? 0 : (deadlines[i] ?? 0);
    const delivery = events === null ? null : (events[i] ?? null);
    const event = delivery === null ? undefined : { id: delivery[0], attempt: delivery[1] };
    const attempt = attempts === null ? 1 : (attempts[i] ?? 1);
    const entry = contexts === null ? null : contexts[i];
    const ctx = contextOf(name, attempt, deadline, entry, event);
    try {
      const value =
        bulk?.[i] === true
          ? runBulk(name, handler, task[TASK_INPUTS + i], () => contextOf(name, attempt, deadline, entry, event))
          : handler(ctx as FunctionContext, task[TASK_INPUTS + i]);
      if (isThenable(value)) {
        const slot = i;
        pending ??= [];
        pending.push(
          Promise.resolve(value).then(
            (v) => {
              result[RESULT_VALUES + slot] = v;
              effects = collect(effects, count, slot, ctx);
            },
            (e: unknown) => {
              errors = fail(errors, count, slot, toLucentError(e, name).toWire());
              effects = collect(effects, count, slot, ctx);
            },
          ),
        );
      } else {
        result[RESULT_VALUES + i] = value;
        effects = collect(effects, count, i, ctx);
      }
    } catch (e) {
      errors = fail(errors, count, i, toLucentError(e, name).toWire());
      effects = collect(effects, count, i, ctx);
    }
  }
  if (pending === null) {
    result[RESULT_RUN_MS] = performance.now() - start;
    result[RESULT_ERRORS] = errors;
    result[RESULT_EFFECTS] = effects;
    return result;
  }
  return Promise.all(pending).then(() => {
    result[RESULT_RUN_MS] = performance.now() - start;
    result[RESULT_ERRORS] = errors;
    result[RESULT_EFFECTS] = effects;
    return result;
  });
}

export default runBatch;
