/**
 * Whether a failed call is tried again, and why: the pure half of the client's retries (the client carries it
 * out: backoff, another shard, the count by function and reason).
 *
 * ```
 *  attempt >= maxAttempts ───────────────────────────────► give up
 *  HandlerError / RetryableError ─ marked retryable ─────► retry 'retryable'   (else give up: the handler's own error)
 *  code in retry.retryOn ────────────────────────────────► retry <reason of the code>
 *  anything else ────────────────────────────────────────► give up
 * ```
 * Only pure functions are retried this way: running one twice is harmless. Actors are not retried blindly (an
 * ask's own retry covers only a node that is gone, with the message id the actor deduplicates by).
 */
import type { RetryPolicy } from './definition.js';
import { HandlerError, isRetryableHandlerError, LucentError, RetryableError } from './errors.js';

/** Reasons a call is retried: the `reason` label of `lucent_retries_total`. */
export const RETRY_REASONS: Readonly<Record<string, string>> = Object.freeze({
  LUCENT_TIMEOUT: 'timeout',
  LUCENT_WORKER_CRASHED: 'worker_crashed',
  LUCENT_NODE_UNAVAILABLE: 'node_unavailable',
  LUCENT_OVERLOADED: 'overloaded',
  LUCENT_NO_CAPACITY: 'overloaded',
  LUCENT_SHUTTING_DOWN: 'shutting_down',
  LUCENT_RETRYABLE: 'retryable',
});

/** What to do after attempt number `attempt` failed. */
export type RetryDecision = { readonly retry: true; readonly reason: string } | { readonly retry: false };

const GIVE_UP: RetryDecision = Object.freeze({ retry: false });

/** Decides per the module doc. Pure; never throws. */
export function decideRetry(error: unknown, policy: RetryPolicy, attempt: number): RetryDecision {
  if (attempt >= policy.maxAttempts || !LucentError.isLucentError(error)) return GIVE_UP;
  if (HandlerError.is(error) || RetryableError.is(error)) {
    return isRetryableHandlerError(error) ? { retry: true, reason: 'retryable' } : GIVE_UP;
  }
  if (!policy.retryOn.includes(error.code)) return GIVE_UP;
  return { retry: true, reason: RETRY_REASONS[error.code] ?? error.code.replace(/^LUCENT_/, '').toLowerCase() };
}
