/**
 * The port the request handler runs functions through. The piscina `FunctionPool` is the real one; the inline
 * runner here runs handlers on the calling thread, for tests and for single-process setups that want no
 * worker threads (a handler that blocks then blocks the node: only for small, fast functions).
 */
import {
  type Clock,
  type FunctionContext,
  type FunctionRegistry,
  systemClock,
  TimeoutError,
  toLucentError,
  UnknownFunctionError,
} from '@lucent/core/internal';

/** Options of one run, as the pool takes them. */
export interface RunOptions {
  /** Epoch ms (wall time, a clock's `wallNow()`) after which the call fails with `TimeoutError`. Omit for no deadline. */
  readonly deadline?: number;
}

/** Runs functions by reference (`name` or `name@version`). `FunctionPool` implements it. */
export interface FunctionRunner {
  /**
   * Runs `name` on `input`. Rejects with a Lucent error: `UnknownFunctionError`, `FunctionDisabledError`,
   * `TimeoutError`, `HandlerError` (or the Lucent error the handler threw), `ShuttingDownError`, ...
   */
  call<O = unknown>(name: string, input: unknown, options?: RunOptions): Promise<O>;
}

/** Options of {@link createInlineRunner}. */
export interface InlineRunnerOptions {
  /** Time source; deadlines are read against its wall time (`wallNow()`). Default `systemClock`. */
  readonly clock?: Clock;
}

/**
 * A {@link FunctionRunner} that calls the handlers of `registry` directly on this thread. Checks the deadline
 * before running (an expired call rejects with `TimeoutError` without running) but cannot interrupt a running
 * handler. A non-Lucent throw becomes a `HandlerError`, as in the pool. Resolves and rejects asynchronously.
 */
export function createInlineRunner(registry: FunctionRegistry, options: InlineRunnerOptions = {}): FunctionRunner {
  return new InlineRunner(registry, options.clock ?? systemClock);
}

class InlineRunner implements FunctionRunner {
  readonly #registry: FunctionRegistry;
  readonly #clock: Clock;

  constructor(registry: FunctionRegistry, clock: Clock) {
    this.#registry = registry;
    this.#clock = clock;
  }

  async call<O = unknown>(name: string, input: unknown, options?: RunOptions): Promise<O> {
    const definition = this.#registry.find(name);
    if (definition === undefined) {
      // `get` throws the precise error: unknown or disabled.
      this.#registry.get(name);
      throw new UnknownFunctionError({ name });
    }
    const deadline = options?.deadline ?? 0;
    if (deadline !== 0 && this.#clock.wallNow() >= deadline) throw new TimeoutError({ target: name, timeoutMs: 0 });
    const ctx: FunctionContext = { name: definition.name, attempt: 1, deadline };
    try {
      return (await definition.handler(ctx, input)) as O;
    } catch (error) {
      throw toLucentError(error, name);
    }
  }
}
