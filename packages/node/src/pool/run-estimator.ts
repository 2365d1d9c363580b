/**
 * Per-function estimate of how long one call runs, as an exponentially weighted moving average of the
 * per-call time of finished batches (batch run time in the worker / calls in the batch). The batcher uses
 * it to keep a batch's estimated run time small, so one slow function does not make many fast calls wait.
 */

/** Weight of the newest sample: high enough to follow a change within a handful of batches. */
const DEFAULT_ALPHA = 0.25;

/** A moving average of per-call run time in milliseconds. Not thread-safe (used on one thread). */
export class RunEstimator {
  #perCallMs = Number.NaN;
  #samples = 0;
  readonly #alpha: number;

  /** @param alpha weight of each new sample, in (0, 1]. */
  constructor(alpha = DEFAULT_ALPHA) {
    this.#alpha = alpha;
  }

  /** Estimated milliseconds per call; `NaN` until the first sample. */
  get perCallMs(): number {
    return this.#perCallMs;
  }

  /** Batches recorded so far. */
  get samples(): number {
    return this.#samples;
  }

  /**
   * Records a batch of `calls` calls that ran for `runMs` in total. Ignores empty batches and non-finite or
   * negative times (a clock oddity must not poison the average).
   */
  record(runMs: number, calls: number): void {
    if (calls <= 0 || !Number.isFinite(runMs) || runMs < 0) return;
    const sample = runMs / calls;
    this.#perCallMs = this.#samples === 0 ? sample : this.#perCallMs + this.#alpha * (sample - this.#perCallMs);
    this.#samples++;
  }
}
