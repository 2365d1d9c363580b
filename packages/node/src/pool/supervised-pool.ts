/**
 * The stable face of a shard's function pool: the request path holds this one object for the node's life,
 * while the supervisor swaps the pool behind it. A call costs one extra method call and allocates nothing:
 *
 * ```
 *  router ─► SupervisedPool.call ─► #current.call
 *                                     ├─ a running FunctionPool
 *                                     ├─ restarting: rejects NodeUnavailableError (reason POOL_RESTARTING_REASON)
 *                                     └─ closed:     rejects ShuttingDownError
 * ```
 */
import { NodeUnavailableError, ShuttingDownError } from '@lucent/core/internal';
import { callNow } from './call-now.js';
import type { CallOptions, FunctionPool, FunctionPoolStats } from './function-pool.js';
import { addPoolCounters, NO_COUNTERS, type PoolCounters } from './pool-counters.js';

/** `NodeUnavailableError.reason` of calls made while the shard restarts its function pool. */
export const POOL_RESTARTING_REASON = 'function pool restarting';

const ZERO: FunctionPoolStats = { ...NO_COUNTERS, queueDepth: 0, tasksInFlight: 0, utilization: 0 };

/** Stands in for the pool while there is none: every call rejects with the one error (one per outage). */
class UnavailablePool implements FunctionPool {
  readonly functions: readonly string[];
  readonly #error: Error;

  constructor(functions: readonly string[], error: Error) {
    this.functions = functions;
    this.#error = error;
  }

  call<O>(): Promise<O> {
    return Promise.reject(this.#error);
  }

  stats(): FunctionPoolStats {
    return ZERO;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A {@link FunctionPool} whose implementation the shard's supervisor replaces when it dies. `functions` never
 * changes (every incarnation loads the same modules). Counters in `stats()` add up over incarnations; the
 * gauges are the current pool's (zero while restarting).
 */
export class SupervisedPool implements FunctionPool {
  readonly functions: readonly string[];
  readonly #node: string;
  #current: FunctionPool;
  /** Counters of the pools already replaced. */
  #past: PoolCounters = ZERO;
  #closed = false;

  constructor(first: FunctionPool, node: string) {
    this.functions = first.functions;
    this.#node = node;
    this.#current = first;
  }

  /** Rejects with `NodeUnavailableError` (reason {@link POOL_RESTARTING_REASON}) while restarting; see `FunctionPool.call`. */
  call<O = unknown>(name: string, input: unknown, options?: CallOptions): Promise<O> {
    return this.#current.call<O>(name, input, options);
  }

  /** See `FunctionPool.callNow`. */
  callNow(name: string, input: unknown, options?: CallOptions): unknown {
    return callNow(this.#current, name, input, options);
  }

  stats(): FunctionPoolStats {
    const now = this.#current.stats();
    return {
      ...addPoolCounters(this.#past, now),
      queueDepth: now.queueDepth,
      tasksInFlight: now.tasksInFlight,
      utilization: now.utilization,
    };
  }

  /**
   * Takes the current pool out (calls now fail fast with `NodeUnavailableError`) and returns it for the caller
   * to close. Returns `undefined` when there is none (already restarting, or closed).
   */
  detach(): FunctionPool | undefined {
    if (this.#closed || this.#current instanceof UnavailablePool) return undefined;
    const dead = this.#current;
    this.#keepCounters(dead);
    this.#current = new UnavailablePool(
      this.functions,
      new NodeUnavailableError({ node: this.#node, reason: POOL_RESTARTING_REASON }),
    );
    return dead;
  }

  /** Puts a new pool in (after {@link detach}). False, and the pool is not taken, once closed. */
  attach(pool: FunctionPool): boolean {
    if (this.#closed) return false;
    this.#current = pool;
    return true;
  }

  /**
   * Closes the current pool (`FunctionPool.close`: waits for its calls, bounded) and from then on rejects
   * every call with `ShuttingDownError`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const current = this.#current;
    this.#keepCounters(current);
    // New calls fail as the pool's own close would make them, also while it is still draining.
    this.#current = new UnavailablePool(this.functions, new ShuttingDownError({ node: 'function pool' }));
    await current.close();
  }

  #keepCounters(pool: FunctionPool): void {
    this.#past = addPoolCounters(this.#past, pool.stats());
  }
}
