/**
 * One timer for every running batch's deadline. It is armed for the earliest deadline in flight and moved
 * only when an earlier one arrives. Batches usually finish long before their deadline (a function's default
 * timeout is 30 s), so most batches neither create nor clear a timer.
 */
import { performance } from 'node:perf_hooks';

function fire(timer: DeadlineTimer): void {
  timer.fired();
}

/** A resettable single timer keyed by `performance.now()` times. */
export class DeadlineTimer {
  #handle: ReturnType<typeof setTimeout> | null = null;
  #at = Number.POSITIVE_INFINITY;
  readonly #onFire: () => void;

  /** @param onFire runs when the armed time passes; it re-arms with {@link arm} for what is still pending. */
  constructor(onFire: () => void) {
    this.#onFire = onFire;
  }

  /** Makes sure the timer fires no later than `at` (a `performance.now()` time). No-op for a later time. */
  arm(at: number): void {
    if (at >= this.#at) return;
    if (this.#handle !== null) clearTimeout(this.#handle);
    this.#at = at;
    // +1 ms: Node timers may fire up to a millisecond early relative to performance.now().
    this.#handle = setTimeout(fire, Math.max(0, at - performance.now()) + 1, this);
    // The running tasks keep the process up; this timer alone must not.
    this.#handle.unref();
  }

  /** Stops the timer. */
  cancel(): void {
    if (this.#handle !== null) clearTimeout(this.#handle);
    this.#handle = null;
    this.#at = Number.POSITIVE_INFINITY;
  }

  /** @internal called by the Node timer. */
  fired(): void {
    this.#handle = null;
    this.#at = Number.POSITIVE_INFINITY;
    this.#onFire();
  }
}
