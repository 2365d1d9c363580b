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
  type EventDelivery,
  type FunctionContext,
  type FunctionDefinition,
  toLucentError,
} from '@lucent/core/internal';
import { InlineRunBudget, type InlineRunLimits, type InlineVerdict } from './inline-run-budget.js';

/** The context of one inline run; a class so every context has the same shape (as in the worker). */
class InlineContext implements FunctionContext {
  constructor(
    readonly name: string,
    readonly attempt: number,
    readonly deadline: number,
    readonly event: EventDelivery | undefined,
  ) {}
}

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

  /** @param now monotonic ms (the engine's clock) */
  constructor(definition: FunctionDefinition, now: () => number, limits?: InlineRunLimits) {
    this.#definition = definition;
    this.#budget = new InlineRunBudget(limits);
    this.#now = now;
  }

  /** True when `definition` may start inline: `cpu: 'low'` and no memory limit (only a worker can enforce one). */
  static suits(definition: FunctionDefinition): boolean {
    return definition.resources.cpu === 'low' && definition.resources.memoryBytes === 0;
  }

  /**
   * Runs the handler now. Resolves with its value; rejects with the Lucent error it threw, or a `HandlerError`
   * for anything else. Only the synchronous part of a run counts against the budget (an awaited promise does
   * not hold the event loop).
   *
   * @param deadline epoch ms handed to the handler as `ctx.deadline` (0 = none)
   */
  run(input: unknown, deadline: number, event: EventDelivery | undefined): Promise<unknown> {
    const definition = this.#definition;
    const ctx = new InlineContext(definition.name, 1, deadline, event);
    const started = this.#now();
    let outcome: Promise<unknown>;
    try {
      const value = definition.handler(ctx, input);
      this.ranAsync = isThenable(value);
      outcome = this.ranAsync
        ? Promise.resolve(value).catch((error: unknown) => Promise.reject(toLucentError(error, definition.name)))
        : Promise.resolve(value);
    } catch (error) {
      this.ranAsync = false;
      outcome = Promise.reject(toLucentError(error, definition.name));
    }
    this.verdict ??= this.#budget.record(this.#now() - started);
    return outcome;
  }
}
