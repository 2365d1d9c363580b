/**
 * Time as a port. Everything that reads time or schedules goes through a `Clock`, so tests drive it with a
 * {@link SimulatedClock} and never sleep; production uses {@link systemClock}.
 *
 * Two times, never mixed:
 *
 *   now()      monotonic ms from an arbitrary origin: durations, local deadlines, timers. Never goes back.
 *   wallNow()  epoch ms: values that cross processes or are stored (envelope deadlines, lease times).
 *              May jump when the host's clock is set; compare only with other wall times.
 */

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** The time source and timer scheduler injected into every part that waits or measures. */
export interface Clock {
  /** Milliseconds since some fixed origin; monotonic within one clock. Not comparable across processes. */
  now(): number;
  /** Milliseconds since the Unix epoch (wall time); the time to put in anything another process reads. */
  wallNow(): number;
  /**
   * Runs `callback` once, `delayMs` (monotonic) from now. Returns a handle for {@link Clock.clearTimeout}.
   * Timers do not keep a process alive (see {@link systemClock}).
   */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer; a no-op for a timer that already fired or was cleared. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: `performance.now()`, `Date.now()` and the host's timers. Timers are unref'd (where the host
 * supports it, as Node does), so a pending timer never keeps a process up on its own.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(callback, delayMs) {
    const timer: unknown = setTimeout(callback, delayMs);
    (timer as { unref?: () => void }).unref?.();
    return timer as TimerHandle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  },
};

/** Default wall start of a {@link SimulatedClock}: 2026-01-01T00:00:00Z, fixed so tests are reproducible. */
export const SIMULATED_WALL_START_MS = 1_767_225_600_000;

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told. `advance(ms)` runs every timer due in that span in time order (ties in
 * scheduling order), including timers scheduled by the callbacks themselves. Monotonic and wall time move
 * together: `wallNow() - now()` is the same for the clock's whole life.
 */
export class SimulatedClock implements Clock {
  #now: number;
  readonly #wallOffset: number;
  #seq = 0;
  readonly #pending = new Set<Scheduled>();

  /**
   * @param startMs the first `now()` (default 0)
   * @param wallStartMs the first `wallNow()` (default {@link SIMULATED_WALL_START_MS})
   */
  constructor(startMs = 0, wallStartMs = SIMULATED_WALL_START_MS) {
    this.#now = startMs;
    this.#wallOffset = wallStartMs - startMs;
  }

  now(): number {
    return this.#now;
  }

  wallNow(): number {
    return this.#now + this.#wallOffset;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const entry: Scheduled = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, callback };
    this.#pending.add(entry);
    return entry;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle as Scheduled);
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.#pending.size;
  }

  /**
   * Fires only the earliest timer due at or before `untilMs` (ties in scheduling order), moving time to it;
   * returns false, leaving time alone, when there is none. Lets a test kit run microtasks between firings.
   */
  fireNext(untilMs: number): boolean {
    let next: Scheduled | undefined;
    for (const e of this.#pending) {
      if (e.at <= untilMs && (next === undefined || e.at < next.at || (e.at === next.at && e.seq < next.seq))) {
        next = e;
      }
    }
    if (next === undefined) return false;
    this.#pending.delete(next);
    this.#now = Math.max(this.#now, next.at);
    next.callback();
    return true;
  }

  /** Moves time forward by `ms` (both clocks), firing due timers one by one. Never moves time back. */
  advance(ms: number): void {
    const target = this.#now + Math.max(0, ms);
    while (this.fireNext(target)) {}
    this.#now = target;
  }
}
