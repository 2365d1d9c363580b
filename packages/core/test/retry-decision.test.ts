import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, defineFunction, NAME_CALL_RETRY } from '../src/definition.js';
import {
  HandlerError,
  NodeUnavailableError,
  OverloadedError,
  RetryableError,
  TimeoutError,
  toLucentError,
  UnknownFunctionError,
  WorkerCrashedError,
} from '../src/errors.js';
import { decideRetry } from '../src/retry-decision.js';

const policy = DEFAULT_RETRY;

describe('decideRetry', () => {
  it.each([
    [new TimeoutError({ target: 'f', timeoutMs: 1 }), 'timeout'],
    [new WorkerCrashedError({ name: 'f', reason: 'exit' }), 'worker_crashed'],
    [new NodeUnavailableError({ node: 'n1', reason: 'gone' }), 'node_unavailable'],
    [new OverloadedError({ node: 'n1', target: 'f', reason: 'busy', load: 0.95, retryAfterMs: 10 }), 'overloaded'],
    [new RetryableError({ reason: 'busy' }), 'retryable'],
    [toLucentError(Object.assign(new Error('busy'), { retryable: true }), 'f'), 'retryable'],
  ])('retries %s with reason %s while attempts are left', (error, reason) => {
    expect(decideRetry(error, policy, 1)).toEqual({ retry: true, reason });
    expect(decideRetry(error, policy, policy.maxAttempts)).toEqual({ retry: false });
  });

  it('never retries a handler error that is not marked, nor codes outside retryOn', () => {
    const thrown = toLucentError(new RangeError('no'), 'f');
    expect(HandlerError.is(thrown)).toBe(true);
    expect(decideRetry(thrown, policy, 1)).toEqual({ retry: false });
    expect(decideRetry(new UnknownFunctionError({ name: 'f' }), policy, 1)).toEqual({ retry: false });
    expect(decideRetry(new Error('not lucent'), policy, 1)).toEqual({ retry: false });
  });

  it("follows the definition's retryOn and maxAttempts", () => {
    const only = defineFunction({ name: 'f', retry: { maxAttempts: 2, retryOn: ['LUCENT_TIMEOUT'] } }, () => 1);
    expect(decideRetry(new NodeUnavailableError({ node: 'n', reason: 'x' }), only.retry, 1)).toEqual({ retry: false });
    expect(decideRetry(new TimeoutError({ target: 'f', timeoutMs: 1 }), only.retry, 1).retry).toBe(true);
    expect(decideRetry(new TimeoutError({ target: 'f', timeoutMs: 1 }), only.retry, 2).retry).toBe(false);
    const never = defineFunction({ name: 'g', retry: { maxAttempts: 1 } }, () => 1);
    expect(decideRetry(new RetryableError({ reason: 'x' }), never.retry, 1)).toEqual({ retry: false });
  });

  it('retries a call by name only when its node is gone, overloaded or shutting down, or the error is marked', () => {
    const gone = new NodeUnavailableError({ node: 'n1', reason: 'gone' });
    expect(decideRetry(gone, NAME_CALL_RETRY, 1)).toEqual({ retry: true, reason: 'node_unavailable' });
    expect(decideRetry(new RetryableError({ reason: 'busy' }), NAME_CALL_RETRY, 1).retry).toBe(true);
    expect(decideRetry(new TimeoutError({ target: 'f', timeoutMs: 1 }), NAME_CALL_RETRY, 1).retry).toBe(false);
    expect(decideRetry(new WorkerCrashedError({ name: 'f', reason: 'exit' }), NAME_CALL_RETRY, 1).retry).toBe(false);
    expect(decideRetry(gone, NAME_CALL_RETRY, NAME_CALL_RETRY.maxAttempts).retry).toBe(false);
  });
});
