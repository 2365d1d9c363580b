/**
 * Admission control of the pool: a call that would grow the node's queue past its bound is refused at once
 * with `OverloadedError` instead of waiting behind work the node cannot finish in time. Pure helpers; the
 * engine counts the refusals (`FunctionPoolStats.overloaded`).
 *
 * The bound covers every call waiting in the pool (all functions and priorities, including calls held back by a
 * function's `maxConcurrency`); calls already admitted (re-runs, crash retries) never count against it twice.
 */
import { OverloadedError } from '@lucent/core/internal';

/** Default {@link FunctionPoolOptions.maxQueuedCalls}: deep enough for bursts of 10k in flight from a few clients. */
export const DEFAULT_MAX_QUEUED_CALLS = 50_000;

/** Never suggest waiting less than this (ms): a retry sooner would likely meet the same full queue. */
const MIN_RETRY_AFTER_MS = 1;

/**
 * How long until the queue has likely drained enough to take a call: `queued` calls at `perCallMs` each (the
 * function's moving average; taken as 1 ms while unknown), spread over `parallelism` workers. Whole ms, at least 1.
 */
export function retryAfterMs(queued: number, perCallMs: number, parallelism: number): number {
  const perCall = Number.isFinite(perCallMs) && perCallMs > 0 ? perCallMs : 1;
  return Math.max(MIN_RETRY_AFTER_MS, Math.ceil((queued * perCall) / Math.max(1, parallelism)));
}

/** The refusal of a call to `target` when `queued` calls already wait and the bound is `limit`. */
export function queueFullError(target: string, queued: number, limit: number, retryAfter: number): OverloadedError {
  return new OverloadedError({
    target,
    reason: `the node's pool queue is full (${queued} of ${limit} calls waiting)`,
    retryAfterMs: retryAfter,
  });
}
