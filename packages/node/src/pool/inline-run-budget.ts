/**
 * When a `cpu: 'low'` function stops being cheap enough to run on the node's main thread. Pure: run times in,
 * a verdict out (the engine measures with its clock and acts on the verdict).
 *
 * Inline runs skip the pool's two thread hops (structured clone, `Atomics.notify`, the wake-up of the main
 * thread), which is most of a cheap call's latency, but they hold the event loop: every other call, heartbeat
 * and timer of the node waits for them. So the budget is strict:
 *
 * ```
 *   runs counted in windows of `windowRuns` (1000): more than `windowRuns / 100` runs over `slowRunMs`
 *   (p99 above 50 µs) in one window ──► move to the pool
 *   a second run over `maxRunMs` (5 ms) in one window ──► move to the pool at once (no waiting for the window)
 * ```
 * Run times are wall time, so one run over `maxRunMs` may be the process being preempted or a GC pause rather
 * than the function: the first is forgiven (it still counts as slow), a function that really runs that long shows
 * it again on its next run.
 *
 * A move is for the pool's life: a function that once turned slow is not trusted on the main thread again.
 */

/** Limits of an {@link InlineRunBudget}. */
export interface InlineRunLimits {
  /** A run longer than this (ms) is slow. Default 0.05 (50 µs). */
  readonly slowRunMs: number;
  /** Runs per window. Default 1000. */
  readonly windowRuns: number;
  /** Slow runs a window may hold (its p99 stays under `slowRunMs` up to `windowRuns / 100`). Default 10. */
  readonly slowRunsAllowed: number;
  /** A second run longer than this (ms) in one window moves the function at once. Default 5. */
  readonly maxRunMs: number;
}

/** Default {@link InlineRunLimits}. */
export const DEFAULT_INLINE_RUN_LIMITS: InlineRunLimits = Object.freeze({
  slowRunMs: 0.05,
  windowRuns: 1000,
  slowRunsAllowed: 10,
  maxRunMs: 5,
});

/** Why a function left the main thread, for the one warning the node logs. */
export interface InlineVerdict {
  /** Runs over `slowRunMs` in the window that decided it. */
  readonly slowRuns: number;
  /** Runs in that window so far. */
  readonly runs: number;
  /** The run that decided it, in ms. */
  readonly lastRunMs: number;
}

/** The running count for one function. Not thread-safe (the main thread only). */
export class InlineRunBudget {
  readonly #limits: InlineRunLimits;
  #runs = 0;
  #slow = 0;
  #overMax = 0;

  constructor(limits: InlineRunLimits = DEFAULT_INLINE_RUN_LIMITS) {
    this.#limits = limits;
  }

  /** Records one inline run of `runMs`. Returns the verdict when the function must move to the pool, else `null`. */
  record(runMs: number): InlineVerdict | null {
    const limits = this.#limits;
    this.#runs++;
    if (runMs > limits.slowRunMs) {
      this.#slow++;
      if (runMs > limits.maxRunMs) this.#overMax++;
      if (this.#slow > limits.slowRunsAllowed || this.#overMax >= 2) {
        return { slowRuns: this.#slow, runs: this.#runs, lastRunMs: runMs };
      }
    }
    if (this.#runs >= limits.windowRuns) {
      this.#runs = 0;
      this.#slow = 0;
      this.#overMax = 0;
    }
    return null;
  }
}
