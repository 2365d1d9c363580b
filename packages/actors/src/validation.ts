/**
 * Checks on what users hand the kernel (names, timeouts, behaviors), as `ConfigError`s with stable fields.
 * Kept apart so the cell reads as the state machine it is.
 */
import { ConfigError } from '@lucent/core/internal';

/** Throws `ConfigError` unless `name` is non-empty, has no `/`, and is not taken among `siblings`. */
export function validateChildName(name: string, path: string, siblings: ReadonlyMap<string, unknown>): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('/')) {
    throw new ConfigError({ subject: path, field: 'name', reason: "must be a non-empty string without '/'" });
  }
  if (siblings.has(name)) {
    throw new ConfigError({ subject: path, field: 'name', reason: 'already used by a live sibling' });
  }
}

/** The error an ask with a timeout that is not a positive number rejects with. */
export function invalidAskTimeout(path: string, timeoutMs: number): ConfigError {
  return new ConfigError({ subject: path, field: 'timeoutMs', reason: `must be > 0, got ${timeoutMs}` });
}

/** The error a behavior factory that returned something without `receive` fails with. */
export function failureTypeError(path: string): ConfigError {
  return new ConfigError({ subject: path, field: 'behavior', reason: 'has no receive() function' });
}
