/**
 * Time as a port. The kernel reads time and schedules only through a `Clock`, so tests drive it with a
 * {@link SimulatedClock} and never sleep; production uses {@link systemClock}.
 */

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

export interface Clock {
  /** Milliseconds since some fixed origin; monotonic within one clock. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` and Node's timers (unref'd, so a pending timer never keeps a process up). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, delayMs) {
    const t = setTimeout(callback, delayMs);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told. `advance(ms)` runs every timer due in that span in time order (ties in
 * scheduling order), including timers scheduled by the callbacks themselves.
 */
export class SimulatedClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #pending = new Set<Scheduled>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
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

  /** Moves time forward by `ms`, firing due timers one by one. */
  advance(ms: number): void {
    const target = this.#now + ms;
    while (this.fireNext(target)) {}
    this.#now = target;
  }
}
