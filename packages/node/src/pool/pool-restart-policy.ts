/**
 * Whether the shard's supervisor restarts a dead function pool, and after how long: a pure function of the
 * restart history and the clock, carried out by `shard-supervisor.ts`. It is the actor kernel's own supervision
 * rule (`superviseFailure`: a budget of `maxRestarts` within a sliding `windowMs`, exponential backoff with
 * jitter), applied to the pool:
 *
 * ```
 *  death at t ─► restarts in (t - windowMs, t] < maxRestarts ? restart after backoff(n) : give up (fatal)
 *                backoff(n) = min(maxMs, minMs · 2^n) · (1 + jitter · random)
 * ```
 * A quiet window resets both the budget and the backoff.
 */

import type { ResolvedSupervision } from '@lucent/actors/internal';
import { resolveSupervision, superviseFailure } from '@lucent/actors/internal';

/** How a shard restarts its function pool; every field optional (defaults below). */
export interface PoolSupervisionOptions {
  /** Restarts allowed within {@link windowMs}; past them the node stops fatally. Default {@link DEFAULT_POOL_MAX_RESTARTS}. */
  readonly maxRestarts?: number;
  /** The sliding window of the budget, in ms. Default {@link DEFAULT_POOL_RESTART_WINDOW_MS}. */
  readonly windowMs?: number;
  /** Delay before restart n of the window. Default {@link DEFAULT_POOL_RESTART_BACKOFF}. */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number; readonly jitter: number };
}

/** Default {@link PoolSupervisionOptions.maxRestarts}. */
export const DEFAULT_POOL_MAX_RESTARTS = 5;
/** Default {@link PoolSupervisionOptions.windowMs}. */
export const DEFAULT_POOL_RESTART_WINDOW_MS = 60_000;
/** Default {@link PoolSupervisionOptions.backoff}: 100, 200, 400, 800, 1600 ms, plus up to 20 % jitter. */
export const DEFAULT_POOL_RESTART_BACKOFF = { minMs: 100, maxMs: 5_000, jitter: 0.2 } as const;

/** {@link PoolSupervisionOptions} validated, with every default filled in. */
export type ResolvedPoolSupervision = ResolvedSupervision;

/** Fills in defaults and validates. Throws `ConfigError` (subject `function pool supervision`) for bad values. */
export function resolvePoolSupervision(options: PoolSupervisionOptions | undefined): ResolvedPoolSupervision {
  return resolveSupervision(
    {
      maxRestarts: options?.maxRestarts ?? DEFAULT_POOL_MAX_RESTARTS,
      windowMs: options?.windowMs ?? DEFAULT_POOL_RESTART_WINDOW_MS,
      backoff: options?.backoff ?? DEFAULT_POOL_RESTART_BACKOFF,
    },
    'function pool supervision',
  );
}

/** What to do with a dead pool. */
export type PoolRestartDecision =
  /** Start a new pool after `delayMs`; `restarts` is the history to keep (the window's restarts and this one). */
  | { readonly type: 'restart'; readonly delayMs: number; readonly restarts: readonly number[] }
  /** The budget is spent: `restartsInWindow` restarts happened within `windowMs`; the node must stop. */
  | { readonly type: 'give-up'; readonly restartsInWindow: number };

/**
 * Decides what happens after the pool died at `now` (clock ms), given the times of the restarts granted so far
 * (ascending; older entries may lie outside the window) and a `random` number in [0, 1) for the jitter.
 */
export function decidePoolRestart(
  policy: ResolvedPoolSupervision,
  restarts: readonly number[],
  now: number,
  random: number,
  error: unknown,
): PoolRestartDecision {
  const verdict = superviseFailure(policy, { error, restarts, now, random });
  if (verdict.directive === 'restart') {
    return { type: 'restart', delayMs: verdict.delayMs, restarts: verdict.restarts };
  }
  const windowStart = now - policy.windowMs;
  return { type: 'give-up', restartsInWindow: restarts.filter((at) => at > windowStart).length };
}
