/**
 * The port the request handler runs functions through. The piscina `FunctionPool` is the real one; the inline
 * runner here runs handlers on the calling thread, for tests and for single-process setups that want no
 * worker threads (a handler that blocks then blocks the node: only for small, fast functions).
 */
import {
  type BatchOutcome,
  type CallContext,
  type Clock,
  type Envelope,
  type EventDelivery,
  type FunctionContext,
  type FunctionRegistry,
  type LogThreshold,
  NO_SHARD,
  type ShardInfo,
  systemClock,
  TimeoutError,
  toLucentError,
  UnknownFunctionError,
  type WireError,
} from '@lucent/core/internal';
import { callContextOf, type EffectsSink } from '../pool/call-effects.js';

/** Options of one run, as the pool takes them. */
export interface RunOptions {
  /** Epoch ms (wall time, a clock's `wallNow()`) after which the call fails with `TimeoutError`. Omit for no deadline. */
  readonly deadline?: number;
  /** The durable event the run serves: the handler sees it as `ctx.event`. */
  readonly event?: EventDelivery;
  /**
   * The type of the event the run serves: a bare name with several deployed versions then runs one that handles
   * this type (chosen by weight among those), never one that does not.
   */
  readonly eventType?: string;
  /** The request the run serves (`ctx.correlationId`, `causationId`, `traceparent`, `metadata` come from it). */
  readonly request?: Envelope;
  /** Receives what the run logged and emitted (see `pool/call-effects.ts`). */
  readonly effects?: EffectsSink;
  /**
   * `input` is an array of inputs, each run by the handler; the run resolves with a `BatchOutcome` (each element's
   * value or wire error) and fails only as a whole (a worker crash, the deadline).
   */
  readonly bulk?: boolean;
}

/** Runs functions by reference (`name` or `name@version`). `FunctionPool` implements it. */
export interface FunctionRunner {
  /**
   * Runs `name` on `input`. Rejects with a Lucent error: `UnknownFunctionError`, `FunctionDisabledError`,
   * `TimeoutError`, `HandlerError` (or the Lucent error the handler threw), `ShuttingDownError`, ...
   */
  call<O = unknown>(name: string, input: unknown, options?: RunOptions): Promise<O>;
  /**
   * `call`, answering with the value itself when the run finished before returning (see `pool/call-now.ts`): the
   * request handler then replies without a promise. Optional; the pool has it.
   */
  callNow?(name: string, input: unknown, options?: RunOptions): unknown;
}

/** Options of {@link createInlineRunner}. */
export interface InlineRunnerOptions {
  /** Time source; deadlines are read against its wall time (`wallNow()`). Default `systemClock`. */
  readonly clock?: Clock;
  /** `ctx.shard` (default: no id, no tags). */
  readonly shard?: ShardInfo;
  /** Lowest level `ctx.logger` records (default `'info'`). */
  readonly logLevel?: LogThreshold;
}

/**
 * A {@link FunctionRunner} that calls the handlers of `registry` directly on this thread. Checks the deadline
 * before running (an expired call rejects with `TimeoutError` without running) but cannot interrupt a running
 * handler. A non-Lucent throw becomes a `HandlerError`, as in the pool. Resolves and rejects asynchronously.
 */
export function createInlineRunner(registry: FunctionRegistry, options: InlineRunnerOptions = {}): FunctionRunner {
  return new InlineRunner(
    registry,
    options.clock ?? systemClock,
    options.shard ?? NO_SHARD,
    options.logLevel ?? 'info',
  );
}

class InlineRunner implements FunctionRunner {
  readonly #registry: FunctionRegistry;
  readonly #clock: Clock;
  readonly #shard: ShardInfo;
  readonly #logLevel: LogThreshold;

  constructor(registry: FunctionRegistry, clock: Clock, shard: ShardInfo, logLevel: LogThreshold) {
    this.#registry = registry;
    this.#clock = clock;
    this.#shard = shard;
    this.#logLevel = logLevel;
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
    if (options?.bulk === true) return (await this.#bulk(name, input, options)) as O;
    const request = options?.request;
    const ctx = callContextOf(definition.name, deadline, request, options?.event, this.#shard, this.#logLevel);
    let value: O;
    try {
      value = (await definition.handler(ctx as FunctionContext, input)) as O;
    } catch (error) {
      this.#settle(options, definition.name, ctx, false);
      throw toLucentError(error, name);
    }
    this.#settle(options, definition.name, ctx, true);
    return value;
  }

  /** A bulk run (see {@link RunOptions.bulk}): each element as its own call, outcomes in order. */
  async #bulk(name: string, inputs: unknown, options: RunOptions): Promise<BatchOutcome> {
    const list = Array.isArray(inputs) ? inputs : [];
    const single: RunOptions = { ...options, bulk: false };
    const values = new Array<unknown>(list.length);
    let errors: (WireError | null)[] | null = null;
    for (let i = 0; i < list.length; i++) {
      try {
        values[i] = await this.call(name, list[i], single);
      } catch (error) {
        errors ??= new Array<WireError | null>(list.length).fill(null);
        errors[i] = toLucentError(error, name).toWire();
      }
    }
    return { values, errors };
  }

  #settle(options: RunOptions | undefined, fn: string, ctx: CallContext, ok: boolean): void {
    const sink = options?.effects;
    const request = options?.request;
    if (sink === undefined || request === undefined || (ctx.records === null && ctx.emitted === null)) return;
    sink.settled(request, fn, ctx.records, ctx.emitted, ok);
  }
}
