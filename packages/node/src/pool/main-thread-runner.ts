/**
 * Runs a `cpu: 'low'` function on the node's main thread, skipping the pool's two thread hops, while its
 * {@link InlineRunBudget} allows (see there). The engine asks {@link MainThreadRunner.verdict} after each run and
 * moves the function to its workers once it is set.
 *
 * What differs from a pooled run: the input and the value are not cloned (the node decoded the input from the
 * wire and encodes the value again, so nothing is shared with the caller); a run cannot be aborted (it is
 * synchronous, or its promise runs on this thread), so a deadline is only checked before it starts; a crash is
 * not contained (a handler that throws fails only its call, as in a worker).
 */
import {
  type CallContext,
  type FunctionContext,
  type FunctionDefinition,
  type LogThreshold,
  NO_SHARD,
  type ShardInfo,
  toLucentError,
} from '@lucent/core/internal';
import { callContextOf } from './call-effects.js';
import type { CallOptions } from './function-pool.js';
import { InlineRunBudget, type InlineRunLimits, type InlineVerdict } from './inline-run-budget.js';

/** Who runs inline: the `ctx.shard` and `ctx.logger` threshold of main-thread runs (as a worker has them). */
export interface InlineRunContext {
  readonly shard: ShardInfo;
  readonly logLevel: LogThreshold;
}

const DEFAULT_RUN_CONTEXT: InlineRunContext = { shard: NO_SHARD, logLevel: 'info' };

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** The main-thread runner of one function version. */
export class MainThreadRunner {
  readonly #definition: FunctionDefinition;
  readonly #budget: InlineRunBudget;
  readonly #now: () => number;
  /** Set by the run that exhausted the budget; the engine then moves the function to the pool. */
  verdict: InlineVerdict | null = null;
  /** True when the last run returned a promise (still pending when `run` returned). */
  ranAsync = false;

  readonly #context: InlineRunContext;

  /** @param now monotonic ms (the engine's clock) */
  constructor(
    definition: FunctionDefinition,
    now: () => number,
    limits?: InlineRunLimits,
    context: InlineRunContext = DEFAULT_RUN_CONTEXT,
  ) {
    this.#definition = definition;
    this.#budget = new InlineRunBudget(limits);
    this.#now = now;
    this.#context = context;
  }

  /** True when `definition` may start inline: `cpu: 'low'` and no memory limit (only a worker can enforce one). */
  static suits(definition: FunctionDefinition): boolean {
    return definition.resources.cpu === 'low' && definition.resources.memoryBytes === 0;
  }

  /**
   * Runs the handler now. Returns its value itself when the handler returned a plain value (the run is over), else a
   * promise: of the value an async handler resolves to, or rejected with the Lucent error it threw, or a
   * `HandlerError` for anything else. A value that is not a `Promise` is final (a returned thenable is awaited).
   * Only the synchronous part of a run counts against the budget (an awaited promise does not hold the event loop).
   *
   * @param deadline epoch ms handed to the handler as `ctx.deadline` (0 = none)
   * @param options the request it serves (its ids for `ctx`) and where its logs and emitted events go
   */
  run(input: unknown, deadline: number, options: CallOptions | undefined): unknown {
    const definition = this.#definition;
    const ctx = callContextOf(
      definition.name,
      deadline,
      options?.request,
      options?.event,
      this.#context.shard,
      this.#context.logLevel,
    );
    let outcome: unknown;
    // Read right before the handler, not at the call: on a busy machine every extra step inside the measured span
    // (an allocation, cold code after the process was descheduled) adds wall time the function did not use.
    const started = this.#now();
    try {
      const value = definition.handler(ctx as FunctionContext, input);
      this.ranAsync = isThenable(value);
      if (this.ranAsync) outcome = this.#settleLater(value as PromiseLike<unknown>, ctx, options);
      else {
        settle(options, definition.name, ctx, true);
        outcome = value;
      }
    } catch (error) {
      this.ranAsync = false;
      settle(options, definition.name, ctx, false);
      outcome = Promise.reject(toLucentError(error, definition.name));
    }
    this.verdict ??= this.#budget.record(this.#now() - started);
    return outcome;
  }

  /** The outcome of an async run: its effects settled, its error made a Lucent one. */
  async #settleLater(value: PromiseLike<unknown>, ctx: CallContext, options: CallOptions | undefined) {
    const name = this.#definition.name;
    try {
      const resolved = await value;
      settle(options, name, ctx, true);
      return resolved;
    } catch (error) {
      settle(options, name, ctx, false);
      throw toLucentError(error, name);
    }
  }
}

/** Hands what the run logged and emitted to the call's effects sink, if it has one and the run said anything. */
function settle(options: CallOptions | undefined, fn: string, ctx: CallContext, ok: boolean): void {
  const sink = options?.effects;
  const request = options?.request;
  if (sink === undefined || request === undefined || (ctx.records === null && ctx.emitted === null)) return;
  sink.settled(request, fn, ctx.records, ctx.emitted, ok);
}
