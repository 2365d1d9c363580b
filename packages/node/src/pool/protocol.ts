/**
 * What crosses between the pool (main thread) and its workers: one {@link BatchTask} per piscina task and one
 * {@link BatchResult} back, both flat arrays sent by structured clone.
 *
 * ```
 *   BatchTask   [ id, attempts | null, deadlines | null, events | null, contexts | null, bulk | null, input0, … ]
 *               (id = name@version)
 *   BatchResult [ runMs, errors | null, effects | null, value0, value1, … ]
 * ```
 *
 * Why flat arrays: structured clone writes every property name of an object and rebuilds objects property by
 * property, so `{ name, inputs, attempts, deadlines }` measured ~2.9 µs per post + receive against ~1.5 µs for
 * the flat array (a bare number: ~0.7 µs); the same held for the result. At one call in flight that difference
 * is most of what the pool adds over raw piscina. Why clone rather than msgpack bytes (packed, copied to an
 * exact-size `Uint8Array` and transferred; never msgpackr's pooled `pack()` Buffer): in a worker round trip
 * with 4 batches in flight, cloning was 1.2–1.6× faster for numbers at 1, 16 and 128 calls per batch, and for
 * 5-field objects faster at 1 call and within ±15 % at 16 and 128 (both ways, on a busy machine). It also needs
 * no codec in the worker and keeps `Date`, `Map` and typed arrays intact.
 *
 * The optional per-call arrays are `null` in the common case (every call on its first attempt, no deadline).
 */
import type { EmittedEvent, LogRecord, LogThreshold, ShardInfo, WireError } from '@lucent/core/internal';

/** A batch of calls to one function, in call order (layout in the module doc). */
export type BatchTask = unknown[];

/** Index of the function's `name@version` in a {@link BatchTask}. */
export const TASK_NAME = 0;
/** Index of the attempt numbers (1-based, one per call) or `null` when every call is on its first attempt. */
export const TASK_ATTEMPTS = 1;
/** Index of the per-call deadlines as epoch ms (0 = none), or `null` when no call has one. */
export const TASK_DEADLINES = 2;
/**
 * Index of the per-call durable-event deliveries (`[eventId, attempt]`, or `null` for a call that serves no
 * event), or `null` when no call of the batch serves one.
 */
export const TASK_EVENTS = 3;
/**
 * Index of the per-call request contexts, or `null` when no call of the batch came from a request (a direct pool
 * call). A call's entry is its correlation id alone (a string: the common case) or a {@link TaskContext}.
 */
export const TASK_CONTEXTS = 4;
/**
 * Index of the per-call bulk flags, or `null` when no call of the batch is bulk. A bulk call's input is an array:
 * the worker runs the handler on each element and the call's value is a `BatchOutcome` (`client.gather`'s
 * batches, so that thousands of items cost one pending call, not thousands).
 */
export const TASK_BULK = 5;
/** Index of the first input; call `i`'s input is at `TASK_INPUTS + i`. */
export const TASK_INPUTS = 6;

/** `[correlationId, causationId, traceparent, metadata | null]` of one call that carries more than a correlation id. */
export type TaskContext = [string, string, string, Readonly<Record<string, string>> | null];

/** The outcome of a {@link BatchTask}: one value or error per call, in call order (layout in the module doc). */
export type BatchResult = unknown[];

/** Index of the milliseconds the worker spent running the handlers (not the transfer). */
export const RESULT_RUN_MS = 0;
/** Index of `null` when every call succeeded, else one `WireError | null` per call. */
export const RESULT_ERRORS = 1;
/**
 * Index of `null` when no call logged or emitted anything, else one {@link CallEffects} (or `null`) per call: what
 * the node writes to its log and, for a call that succeeded, publishes.
 */
export const RESULT_EFFECTS = 2;
/** Index of the first value; call `i`'s value is at `RESULT_VALUES + i` (`undefined` where it failed). */
export const RESULT_VALUES = 3;

/** The log records and emitted events of one call. */
export type CallEffects = [records: LogRecord[] | null, emitted: EmittedEvent[] | null];

/** The per-call errors of a result, when some call failed. */
export type BatchErrors = (WireError | null)[];

/** What the pool hands every worker as piscina `workerData`. */
export interface PoolWorkerData {
  /** Function modules to import, as absolute file URLs (or bare specifiers). */
  readonly modules: readonly string[];
  /** Loader registration modules (`register()` export) for a module that needs the main thread's loader (`worker-loader.ts`). */
  readonly loaderHooks?: readonly string[];
  /** The shard functions see as `ctx.shard` (default: no id, no tags). */
  readonly shard?: ShardInfo;
  /** Lowest level `ctx.logger` records (default `'info'`); lower levels are no-ops in the worker. */
  readonly logLevel?: LogThreshold;
  /**
   * Deployed modules the worker imports at start, after `modules` (`module-workers.ts`). The pool keeps this list
   * current, so a worker that replaces a crashed one starts with every module loaded then.
   */
  readonly deployed?: readonly WorkerModule[];
}

/**
 * The `workerData` of a pool's workers: `modules` imported at start, the main thread's loader hooks, and what
 * functions see as `ctx.shard` and the log level (copied: the object is cloned into each worker). `deployed`, when
 * given, is kept as is: the pool changes it for the workers it starts later (`module-workers.ts`).
 */
export function poolWorkerData(
  modules: readonly string[],
  loaderHooks: readonly string[],
  context: { readonly shard?: ShardInfo; readonly logLevel?: LogThreshold },
  deployed?: WorkerModule[],
): PoolWorkerData {
  return {
    modules,
    loaderHooks,
    ...(context.shard === undefined ? {} : { shard: { id: context.shard.id, tags: [...context.shard.tags] } }),
    ...(context.logLevel === undefined ? {} : { logLevel: context.logLevel }),
    ...(deployed === undefined ? {} : { deployed }),
  };
}

/**
 * A deployed version as its pool's workers load it: the bundle file to import (once per worker and URL, however
 * many versions it serves) and the function in it that the version runs.
 */
export interface WorkerModule {
  /** The deployed id (`name@version`): what batches name, and what `unloadModule` unbinds. */
  readonly id: string;
  /** `file:` URL of the bundle. */
  readonly url: string;
  /** The id the bundle defines the function under (its own `name@version`). */
  readonly exportId: string;
}

/** Export of the worker entry that loads a {@link WorkerModule} (a piscina task `{ module }`); resolves with the thread id. */
export const LOAD_MODULE_HANDLER = 'loadModule';
/** Export of the worker entry that unloads a module (a piscina task `{ id }`); returns the thread id. */
export const UNLOAD_MODULE_HANDLER = 'unloadModule';

/** The task of {@link LOAD_MODULE_HANDLER}. */
export interface LoadModuleTask {
  readonly module: WorkerModule;
}

/** The task of {@link UNLOAD_MODULE_HANDLER}. */
export interface UnloadModuleTask {
  readonly id: string;
}

/**
 * What a worker posts to the pool (piscina's `message` event) once, when its function modules have loaded or
 * failed to: the pool counts workers that could not start (see `worker-start-tracker.ts`).
 */
export interface WorkerLoadReport {
  readonly lucentWorkerLoad: 'loaded' | 'failed';
  /** `name: message` of the import error when `failed`, else `null`. */
  readonly reason: string | null;
}

/** True for a {@link WorkerLoadReport} (any other worker message is not the pool's). */
export function isWorkerLoadReport(value: unknown): value is WorkerLoadReport {
  return typeof value === 'object' && value !== null && 'lucentWorkerLoad' in value;
}
