// The demo waits out an overloaded owner instead of failing: on a loaded machine its 1000-call burst makes an
// owner refuse keyed calls with OverloadedError (by design), which once made the NATS demo exit 1 in CI.
import { HandlerError, OverloadedError, TimeoutError } from '@lucent/core';
import { describe, expect, it } from 'vitest';
import { OVERLOAD_RETRIES, waitingOutOverload } from '../src/overload-retry.js';

const refusal = (retryAfterMs: number) =>
  new OverloadedError({ target: 'pricePortfolio', reason: 'node overloaded (load 1.00)', retryAfterMs, node: 's2' });

/** A call that rejects with each of `failures` in turn, then resolves with the number of the attempt. */
function scripted(failures: unknown[]): { call: () => Promise<number>; attempts: () => number } {
  let attempts = 0;
  return {
    call: async () => {
      attempts++;
      if (attempts <= failures.length) throw failures[attempts - 1];
      return attempts;
    },
    attempts: () => attempts,
  };
}

describe('waitingOutOverload', () => {
  it('sends the call again after each refusal, waiting the retry-after the owner named', async () => {
    const waited: number[] = [];
    const refusals = { count: 0 };
    const { call } = scripted([refusal(1000), refusal(250)]);
    expect(await waitingOutOverload(call, refusals, async (ms) => void waited.push(ms))).toBe(3);
    expect(waited).toEqual([1000, 250]);
    expect(refusals.count).toBe(2);
  });

  it('throws any other error at once, without waiting', async () => {
    for (const error of [new TimeoutError({ target: 't', timeoutMs: 5 }), new Error('bug')]) {
      const waited: number[] = [];
      const { call, attempts } = scripted([error]);
      await expect(waitingOutOverload(call, { count: 0 }, async (ms) => void waited.push(ms))).rejects.toBe(error);
      expect(attempts()).toBe(1);
      expect(waited).toEqual([]);
    }
    // A handler error is the function's own failure, not backpressure.
    const handler = new HandlerError({ target: 't', remoteName: 'Error', remoteMessage: 'm' });
    await expect(waitingOutOverload(scripted([handler]).call, { count: 0 }, async () => {})).rejects.toBe(handler);
  });

  it(`gives up after ${OVERLOAD_RETRIES} retries with the owner's last refusal`, async () => {
    const failures = Array.from({ length: OVERLOAD_RETRIES + 1 }, (_, i) => refusal(i));
    const { call, attempts } = scripted(failures);
    const refusals = { count: 0 };
    await expect(waitingOutOverload(call, refusals, async () => {})).rejects.toBe(failures[OVERLOAD_RETRIES]);
    expect(attempts()).toBe(OVERLOAD_RETRIES + 1);
    expect(refusals.count).toBe(OVERLOAD_RETRIES);
  });
});
