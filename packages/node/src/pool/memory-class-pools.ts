/**
 * One worker pool per memory class: a function that declares `resources.memory` runs in workers whose V8 heap
 * is capped at that size (piscina `resourceLimits`), so a function that outgrows it kills only its own worker
 * (`WorkerCrashedError` for its call) while the node and every other function go on. Functions of the same size
 * share a pool; the pool of a class starts on the first call of one of its functions (lazily: a node that
 * loads a rarely used big function pays no threads for it until then).
 *
 * ```
 *   call(name) ─► class of name ─┬─ none declared ─► the default pool (eager)
 *                                ├─ 64 MiB        ─► pool[64 MiB]   (started on first call)
 *                                └─ 512 MiB       ─► pool[512 MiB]  (started on first call)
 * ```
 *
 * A node whose functions declare no memory gets the default pool itself, without this layer (no extra lookup).
 */
import type { FunctionRegistry } from '@lucent/core/internal';
import { callNow } from './call-now.js';
import type { CallOptions, FunctionPool, FunctionPoolStats } from './function-pool.js';
import { addPoolCounters } from './pool-counters.js';

/** Bytes per MiB: V8's resource limits are in (binary) megabytes, like core's memory sizes. */
const MIB = 1024 * 1024;

/** `resourceLimits.maxOldGenerationSizeMb` for a function declaring `memoryBytes` (at least 1). */
export function heapLimitMb(memoryBytes: number): number {
  return Math.max(1, Math.ceil(memoryBytes / MIB));
}

/**
 * The references of `registry` (`name@version`, and `name` for an active version) grouped by declared memory
 * in bytes; `0` holds the functions that declare none.
 */
export function referencesByMemoryClass(registry: FunctionRegistry): Map<number, string[]> {
  const classes = new Map<number, string[]>();
  const add = (bytes: number, reference: string): void => {
    const list = classes.get(bytes);
    if (list === undefined) classes.set(bytes, [reference]);
    else list.push(reference);
  };
  for (const definition of registry.list()) {
    add(definition.resources.memoryBytes, definition.id);
    if (registry.find(definition.name)?.id === definition.id) add(definition.resources.memoryBytes, definition.name);
  }
  return classes;
}

/** Starts the pool of one memory class, for the references given. Synchronous: the pool starts its workers itself. */
export type MemoryClassPoolFactory = (memoryBytes: number, references: readonly string[]) => FunctionPool;

/** The default pool plus one lazily started pool per declared memory size. */
export class MemoryClassPools implements FunctionPool {
  readonly functions: readonly string[];
  readonly #default: FunctionPool;
  /** Memory class (bytes) of each reference that declares one. */
  readonly #classOf = new Map<string, number>();
  readonly #references: Map<number, string[]>;
  readonly #started = new Map<number, FunctionPool>();
  readonly #start: MemoryClassPoolFactory;
  #closed = false;

  /**
   * @param byClass from {@link referencesByMemoryClass}; class `0` is served by `defaultPool`
   * @param start builds the pool of a class on its first call
   */
  constructor(defaultPool: FunctionPool, byClass: Map<number, string[]>, start: MemoryClassPoolFactory) {
    this.#default = defaultPool;
    this.#references = byClass;
    this.#start = start;
    for (const [bytes, references] of byClass) {
      if (bytes > 0) for (const reference of references) this.#classOf.set(reference, bytes);
    }
    this.functions = [...byClass.values()].flat();
  }

  /** Memory classes whose pool has started (bytes, ascending). For tests and operators. */
  get startedClasses(): readonly number[] {
    return [...this.#started.keys()].sort((a, b) => a - b);
  }

  /** As `FunctionPool.call`; the first call of a class starts its pool. */
  call<O = unknown>(name: string, input: unknown, options?: CallOptions): Promise<O> {
    const bytes = this.#classOf.get(name);
    if (bytes === undefined || this.#closed) return this.#default.call<O>(name, input, options);
    let pool = this.#started.get(bytes);
    if (pool === undefined) {
      pool = this.#start(bytes, this.#references.get(bytes) ?? []);
      this.#started.set(bytes, pool);
    }
    return pool.call<O>(name, input, options);
  }

  /** As `FunctionPool.callNow`: only the default pool runs anything inline (no memory limit there). */
  callNow(name: string, input: unknown, options?: CallOptions): unknown {
    if (this.#classOf.has(name) && !this.#closed) return this.call(name, input, options);
    return callNow(this.#default, name, input, options);
  }

  /** Counters added up over every pool; gauges too, except utilization (the busiest pool's). */
  stats(): FunctionPoolStats {
    let total = this.#default.stats();
    for (const pool of this.#started.values()) {
      const s = pool.stats();
      total = {
        ...addPoolCounters(total, s),
        queueDepth: total.queueDepth + s.queueDepth,
        tasksInFlight: total.tasksInFlight + s.tasksInFlight,
        utilization: Math.max(total.utilization, s.utilization),
      };
    }
    return total;
  }

  /** Closes every pool (each as `FunctionPool.close`); calls after it reach the closed default pool and reject. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([this.#default.close(), ...[...this.#started.values()].map((pool) => pool.close())]);
  }
}
