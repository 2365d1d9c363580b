/**
 * Bounds warnings that a sender can trigger per message (garbage on a subject, requests that fail to route):
 * logs are written synchronously (`logging.ts`), so one line per bad message would let any client slow a node
 * down and bury everything else in its log. Each kind of warning gets `limit` lines per window; the first line
 * after a window that suppressed some says how many were dropped. Metrics still count every occurrence.
 *
 * ```
 *  window 1: admit ×limit → log · later ones → suppressed (counted)
 *  window 2: first admit  → log with { suppressed: n }
 * ```
 * Pure apart from the injected clock; one instance per logger.
 */
import { type Clock, systemClock } from '@lucent/core/internal';

/** Default {@link LogThrottleOptions.limit}. */
export const DEFAULT_LOG_LIMIT = 10;
/** Default {@link LogThrottleOptions.windowMs}. */
export const DEFAULT_LOG_WINDOW_MS = 10_000;
/** Kinds of warning tracked at most; past this the table is reset (keys come from a closed set in practice). */
const MAX_KEYS = 1024;

export interface LogThrottleOptions {
  /** Lines per key per window. Default 10. */
  readonly limit?: number;
  readonly windowMs?: number;
  /** Time source of the windows (its monotonic `now()`). Default `systemClock`. */
  readonly clock?: Clock;
}

class KeyWindow {
  constructor(
    public startedAt: number,
    public logged: number,
    public suppressed: number,
  ) {}
}

/** What {@link LogThrottle.admit} decided. `-1`: do not log; otherwise log, noting this many suppressed lines. */
export type Admission = number;
export const SUPPRESS: Admission = -1;

export class LogThrottle {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #clock: Clock;
  readonly #windows = new Map<string, KeyWindow>();

  constructor(options: LogThrottleOptions = {}) {
    this.#limit = options.limit ?? DEFAULT_LOG_LIMIT;
    this.#windowMs = options.windowMs ?? DEFAULT_LOG_WINDOW_MS;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Decides whether this occurrence of warning `key` is logged: returns {@link SUPPRESS}, or the number of
   * occurrences suppressed since the last logged one (usually 0).
   */
  admit(key: string): Admission {
    const now = this.#clock.now();
    let window = this.#windows.get(key);
    if (window === undefined) {
      if (this.#windows.size >= MAX_KEYS) this.#windows.clear();
      window = new KeyWindow(now, 0, 0);
      this.#windows.set(key, window);
    } else if (now - window.startedAt >= this.#windowMs) {
      window.startedAt = now;
      window.logged = 0;
    }
    if (window.logged >= this.#limit) {
      window.suppressed++;
      return SUPPRESS;
    }
    window.logged++;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return suppressed;
  }
}
