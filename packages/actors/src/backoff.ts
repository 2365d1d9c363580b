/**
 * Exponential backoff as a pure function: the delay before the next restart, from how many restarts came
 * before it in the current window. No clock, no randomness of its own: the caller passes `random`.
 */
import { ConfigError } from '@lucent/core/internal';

/** Delay bounds of a backoff. `jitter` is a fraction in [0, 1] of the delay added at random. */
export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
  readonly jitter: number;
}

/** No backoff: restart at once. */
export const NO_BACKOFF: BackoffOptions = { minMs: 0, maxMs: 0, jitter: 0 };

/**
 * Throws `ConfigError` unless `0 <= minMs <= maxMs` (finite) and `0 <= jitter <= 1`. Returns its input.
 */
export function validateBackoff(backoff: BackoffOptions, subject: string): BackoffOptions {
  const { minMs, maxMs, jitter } = backoff;
  if (!Number.isFinite(minMs) || minMs < 0) {
    throw new ConfigError({ subject, field: 'backoff.minMs', reason: 'must be a finite number >= 0' });
  }
  if (!Number.isFinite(maxMs) || maxMs < minMs) {
    throw new ConfigError({ subject, field: 'backoff.maxMs', reason: 'must be finite and >= minMs' });
  }
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new ConfigError({ subject, field: 'backoff.jitter', reason: 'must be in [0, 1]' });
  }
  return backoff;
}

/**
 * The delay in whole milliseconds before restart number `attempt` (0 for the first in the window):
 * `floor(min(maxMs, minMs * 2^attempt) * (1 + jitter * random))`. The cap applies before the jitter, so that
 * actors that all reached the cap still spread out. `random` is in [0, 1).
 *
 * Example: `{ minMs: 100, maxMs: 1000, jitter: 0 }` gives 100, 200, 400, 800, 1000, 1000, …
 */
export function backoffDelayMs(attempt: number, backoff: BackoffOptions, random: number): number {
  // Bounding the exponent keeps 2^attempt finite, so `0 * 2^attempt` can never become NaN.
  const capped = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(attempt, 52));
  return Math.floor(capped * (1 + backoff.jitter * random));
}
