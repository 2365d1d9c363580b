/**
 * A gRPC call's deadline as the timeout of the Lucent request it becomes. Pure.
 *
 * ```
 *  no deadline (Infinity)  ─► the client's default timeout
 *  deadline in R ms        ─► R − margin, margin = min(50 ms, R / 10)
 *  deadline passed         ─► 0 (answer DEADLINE_EXCEEDED without sending anything)
 * ```
 * The margin makes Lucent's `TimeoutError` (with its `lucent-code` trailer) reach the caller just before the
 * caller's own deadline fires, rather than racing it.
 */

/** Largest share of the remaining time kept back for the answer to travel. */
export const DEADLINE_MARGIN_MS = 50;

/**
 * The request timeout for a call with `deadline` (epoch ms or a `Date`; `Infinity` = none) at wall time
 * `wallNow`: `defaultMs` without a deadline, `0` when it has passed. Never throws.
 */
export function timeoutForDeadline(deadline: Date | number, wallNow: number, defaultMs: number): number {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return defaultMs;
  const remaining = at - wallNow;
  if (remaining <= 0) return 0;
  return Math.max(1, remaining - Math.min(DEADLINE_MARGIN_MS, remaining / 10));
}
