/**
 * Waiting out an owner's backpressure. A keyed call (`shardBy`) belongs to its key's owner alone, and an owner
 * whose queue would take half a second or more to drain answers `OverloadedError` at once instead of queueing
 * more (`details.retryAfterMs`: about one load-sampling interval). A burst of calls on a loaded machine does that;
 * the caller then sends the call again after the owner's `retryAfterMs`.
 */
import { OverloadedError } from '@lucent/core';

/** How many times one call waits out an overloaded owner before its `OverloadedError` is thrown. */
export const OVERLOAD_RETRIES = 10;

/** Counts the refusals waited out (for the demo's output). */
export interface RefusalCount {
  count: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `call`; when it rejects with `OverloadedError`, waits the refusal's `retryAfterMs` (through `wait`) and
 * runs it again, up to {@link OVERLOAD_RETRIES} times. Any other error, or the refusal after the last retry, is
 * thrown as it came.
 */
export async function waitingOutOverload<T>(
  call: () => Promise<T>,
  refusals: RefusalCount,
  wait: (ms: number) => Promise<void> = sleep,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await call();
    } catch (error) {
      if (!OverloadedError.is(error) || retry === OVERLOAD_RETRIES) throw error;
      refusals.count++;
      await wait(error.details.retryAfterMs);
    }
  }
}
