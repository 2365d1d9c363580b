/**
 * One timer for every running batch's deadline. It is armed for the earliest deadline in flight and moved
 * only when an earlier one arrives. Batches usually finish long before their deadline (a function's default
 * timeout is 30 s), so most batches neither create nor clear a timer.
 */
import { type Clock, systemClock, type TimerHandle } from '@lucent/core/internal';

/** A resettable single timer keyed by monotonic (`clock.now()`) times. */
export class DeadlineTimer {
  #handle: TimerHandle | null = null;
  #at = Number.POSITIVE_INFINITY;
  readonly #onFire: () => void;
  readonly #clock: Clock;
  /** Bound once, so arming allocates no closure. */
  readonly #fire = (): void => this.fired();

  /**
   * @param onFire runs when the armed time passes; it re-arms with {@link arm} for what is still pending.
   * @param clock the time source of `at` and of the timer (default `systemClock`, whose timers are unref'd: the
   *   running tasks keep the process up, this timer alone must not).
   */
  constructor(onFire: () => void, clock: Clock = systemClock) {
    this.#onFire = onFire;
    this.#clock = clock;
  }

  /** Makes sure the timer fires no later than `at` (a `clock.now()` time). No-op for a later time. */
  arm(at: number): void {
    if (at >= this.#at) return;
    if (this.#handle !== null) this.#clock.clearTimeout(this.#handle);
    this.#at = at;
    // +1 ms: Node timers may fire up to a millisecond early relative to performance.now().
    this.#handle = this.#clock.setTimeout(this.#fire, Math.max(0, at - this.#clock.now()) + 1);
  }

  /** Stops the timer. */
  cancel(): void {
    if (this.#handle !== null) this.#clock.clearTimeout(this.#handle);
    this.#handle = null;
    this.#at = Number.POSITIVE_INFINITY;
  }

  /** @internal called by the clock's timer. */
  fired(): void {
    this.#handle = null;
    this.#at = Number.POSITIVE_INFINITY;
    this.#onFire();
  }
}
