/**
 * The piscina worker entry: runs one {@link BatchTask} and answers with a {@link BatchResult}. Compiled to
 * `dist/pool/worker.js`, which is the file piscina loads (it cannot load TypeScript).
 *
 * The function modules (from `workerData`) are imported once, when this module loads, so the first task
 * does not pay for it. A module that fails to import fails every task this worker gets; the pool treats
 * that like a crash (retried, then `WorkerCrashedError`), since no call could have run. Either way the worker
 * posts a {@link WorkerLoadReport} to the pool, which declares itself dead when every worker in a row failed.
 *
 * A handler that throws (or rejects) fails only its own call: the error becomes wire data (a Lucent error
 * keeps its code; anything else is a `HandlerError` with the thrown name and message). Everything else that
 * goes wrong (process.exit, an uncaught error from a timer, running out of heap) kills this worker, and
 * piscina rejects the task for the pool to handle.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { type FunctionContext, type FunctionRegistry, toLucentError, type WireError } from '@lucent/core/internal';
import { loadRegistry } from '../modules/load-registry.js';
import {
  type BatchErrors,
  type BatchResult,
  type BatchTask,
  type PoolWorkerData,
  RESULT_ERRORS,
  RESULT_RUN_MS,
  RESULT_VALUES,
  TASK_ATTEMPTS,
  TASK_DEADLINES,
  TASK_INPUTS,
  TASK_NAME,
  type WorkerLoadReport,
} from './protocol.js';

let registry: FunctionRegistry | undefined;
let loadError: unknown;
const loading: Promise<void> = loadRegistry((workerData as PoolWorkerData).modules).then(
  (loaded) => {
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

/** Tells the pool whether this worker could start (it counts workers that could not). */
function report(outcome: WorkerLoadReport): void {
  parentPort?.postMessage(outcome);
}

// Piscina imports this module before the worker reports ready and then blocks the thread in `Atomics.wait`
// between tasks, so the modules must finish loading (and the report go out) during that import: a load still
// pending then would only progress once a task arrives.
await loading;

/** One context object per call; a class so every context has the same shape. */
class Context implements FunctionContext {
  constructor(
    readonly name: string,
    readonly attempt: number,
    readonly deadline: number,
  ) {}
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
  const definition = registry.get(task[TASK_NAME] as string);
  const name = definition.name;
  const handler = definition.handler;
  const attempts = task[TASK_ATTEMPTS] as number[] | null;
  const deadlines = task[TASK_DEADLINES] as number[] | null;
  const count = task.length - TASK_INPUTS;
  const result: BatchResult = new Array<unknown>(RESULT_VALUES + count);
  let errors: BatchErrors | null = null;
  let pending: Promise<void>[] | null = null;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const deadline = deadlines === null ? 0 : (deadlines[i] ?? 0);
    const ctx = new Context(name, attempts === null ? 1 : (attempts[i] ?? 1), deadline);
    try {
      const value = handler(ctx, task[TASK_INPUTS + i]);
      if (isThenable(value)) {
        const slot = i;
        pending ??= [];
        pending.push(
          Promise.resolve(value).then(
            (v) => {
              result[RESULT_VALUES + slot] = v;
            },
            (e: unknown) => {
              errors = fail(errors, count, slot, toLucentError(e, name).toWire());
            },
          ),
        );
      } else {
        result[RESULT_VALUES + i] = value;
      }
    } catch (e) {
      errors = fail(errors, count, i, toLucentError(e, name).toWire());
    }
  }
  if (pending === null) {
    result[RESULT_RUN_MS] = performance.now() - start;
    result[RESULT_ERRORS] = errors;
    return result;
  }
  return Promise.all(pending).then(() => {
    result[RESULT_RUN_MS] = performance.now() - start;
    result[RESULT_ERRORS] = errors;
    return result;
  });
}

export default runBatch;
