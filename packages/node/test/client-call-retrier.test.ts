import {
  type ClusterView,
  createClusterView,
  defineFunction,
  HandlerError,
  NodeUnavailableError,
  SimulatedClock,
  TimeoutError,
  toLucentError,
} from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import {
  BREAKER_OPEN_MS,
  BREAKER_THRESHOLD,
  CallRetrier,
  LEFT_VIEW_REASON,
  NODE_WATCH_MS,
  RetryCall,
  retryTarget,
} from '../src/client/call-retrier.js';
import { viewOf } from './fixed-view.js';

const fn = defineFunction(
  { name: 'pure', retry: { maxAttempts: 3, backoffMs: 10, maxBackoffMs: 20 } },
  (_ctx, n: number) => n,
);

/** Delivers `outcome` to `call` as a transport would: its value to `resolve` (decoding is the identity here). */
function deliver(call: RetryCall, outcome: Promise<unknown>): void {
  outcome.then(
    (value) => call.resolve(value as Uint8Array),
    (error: unknown) => call.reject(error),
  );
}

/** A retrier on a simulated clock whose sender records every attempt and answers with `answer(attempt)`. */
function setup(answer: (call: RetryCall) => Promise<unknown>) {
  const clock = new SimulatedClock();
  let view: ClusterView = viewOf('a', 'b', 'c');
  const attempts: { attempt: number; avoid: string[] }[] = [];
  const send = (call: RetryCall): void => {
    attempts.push({ attempt: call.attempt, avoid: [...(call.avoid ?? [])] });
    call.sentTo = 'b';
    deliver(call, answer(call));
  };
  const left: string[] = [];
  // The transport's part: fail what waits on a node that left (here: the pending first answers by node).
  const waiting = new Map<string, (error: unknown) => void>();
  const onNodeLeft = (node: string): void => {
    left.push(node);
    waiting.get(node)?.(new NodeUnavailableError({ node, reason: LEFT_VIEW_REASON }));
  };
  const retrier = new CallRetrier({ clock, view: { current: () => view }, send, onNodeLeft });
  /** Starts `call`, whose first attempt ends as `first` does. */
  const run = (call: RetryCall, first: Promise<unknown>): Promise<unknown> => {
    const result = retrier.start(call);
    deliver(call, first);
    return result;
  };
  const newCall = (sentTo: string | undefined, timeoutMs = 10_000) =>
    new RetryCall('pure', fn, 1, undefined, 'id.1', clock.wallNow() + timeoutMs, clock.now() + timeoutMs, sentTo);
  /** A first answer that only a node leaving the view settles (it fails). */
  const pendingOn = (node: string) => new Promise<unknown>((_resolve, reject) => waiting.set(node, reject));
  return { clock, retrier, run, attempts, newCall, left, pendingOn, setView: (v: ClusterView) => (view = v) };
}

/** Lets promise continuations run, then moves simulated time (backoffs, the view watch). */
async function settle(clock: SimulatedClock, ms: number): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  clock.advance(ms);
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('CallRetrier', () => {
  it('retries a node failure after the backoff, elsewhere, and counts it by function and reason', async () => {
    const { clock, retrier, run, attempts, newCall } = setup(() => Promise.resolve(42));
    const gone = new NodeUnavailableError({ node: 'a', reason: 'no responders' });
    const result = run(newCall('a'), Promise.reject(gone));
    await settle(clock, 100);
    await expect(result).resolves.toBe(42);
    expect(attempts).toEqual([{ attempt: 2, avoid: ['a'] }]);
    expect(retrier.retries('pure', 'node_unavailable')).toBe(1);
  });

  it('fails an attempt whose node leaves the view at once, and retries it', async () => {
    const { clock, retrier, run, attempts, newCall, left, pendingOn, setView } = setup(() =>
      Promise.resolve('survivor'),
    );
    const result = run(newCall('a'), pendingOn('a'));
    setView(viewOf('b', 'c'));
    await settle(clock, NODE_WATCH_MS);
    expect(left).toEqual(['a']);
    await settle(clock, 100);
    await expect(result).resolves.toBe('survivor');
    expect(attempts[0]?.avoid).toEqual(['a']);
    // Nothing in flight: the watch stops (no timer left behind), and an empty view says nothing about who left.
    setView(viewOf());
    await settle(clock, NODE_WATCH_MS * 3);
    expect(left).toEqual(['a']);
    expect(clock.pendingTimers).toBe(0);
    expect(retrier.retries('pure', 'node_unavailable')).toBe(1);
    expect(LEFT_VIEW_REASON).toContain('left');
  });

  it('does not retry a handler error that is not marked retryable', async () => {
    const { clock, retrier, run, attempts, newCall } = setup(() => Promise.resolve(1));
    const thrown = toLucentError(new RangeError('bad'), 'pure');
    const result = run(newCall(undefined), Promise.reject(thrown));
    await settle(clock, 100);
    await expect(result).rejects.toSatisfy((e) => HandlerError.is(e));
    expect(attempts).toEqual([]);
    expect(retrier.retries('pure')).toBe(0);
  });

  it('gives up with the last error after maxAttempts, or when the backoff would pass the deadline', async () => {
    // A timeout answered by a node (its function's own limit): retried until maxAttempts.
    const timeout = new TimeoutError({ target: 'pure', timeoutMs: 1 }, { origin: 'b' });
    const { clock, run, attempts, newCall } = setup(() => Promise.reject(timeout));
    const result = run(newCall(undefined), Promise.reject(timeout));
    for (let i = 0; i < 5; i++) await settle(clock, 100);
    await expect(result).rejects.toBe(timeout);
    expect(attempts.map((a) => a.attempt)).toEqual([2, 3]);

    // A timeout raised by the client itself means the call's budget is spent: not retried.
    const local = setup(() => Promise.resolve(1));
    const spent = new TimeoutError({ target: 'pure', timeoutMs: 10_000 });
    const ended = local.run(local.newCall(undefined), Promise.reject(spent));
    await settle(local.clock, 100);
    await expect(ended).rejects.toBe(spent);
    expect(local.attempts).toEqual([]);

    // No time left before the deadline: any backoff would pass it. (The backoff has random jitter, so a deadline
    // of a few ms is not deterministic: the jittered first delay can be shorter than the policy's backoffMs.)
    const late = setup(() => Promise.resolve(1));
    const tight = late.run(late.newCall(undefined, 0), Promise.reject(timeout));
    await settle(late.clock, 100);
    await expect(tight).rejects.toBe(timeout);
    expect(late.attempts).toEqual([]);
  });

  it('opens a node breaker after consecutive node failures and closes it after the open time', async () => {
    const { clock, retrier, run, newCall } = setup(() => Promise.resolve(1));
    for (let i = 0; i < BREAKER_THRESHOLD; i++) {
      const gone = new NodeUnavailableError({ node: 'a', reason: 'no responders' });
      const result = run(newCall('a'), Promise.reject(gone));
      await settle(clock, 100);
      await result;
    }
    expect(retrier.isOpen('a')).toBe(true);
    clock.advance(BREAKER_OPEN_MS);
    expect(retrier.isOpen('a')).toBe(false);
  });

  it('retries a call by name with NAME_CALL_RETRY: a node gone is retried and counted by name, a timeout is not', async () => {
    const { clock, retrier, run, attempts } = setup(() => Promise.resolve('ok'));
    const byName = (sentTo: string) =>
      new RetryCall('quote@2', undefined, 1, undefined, 'id.2', clock.wallNow() + 10_000, clock.now() + 10_000, sentTo);
    const gone = new NodeUnavailableError({ node: 'a', reason: 'no responders' });
    const result = run(byName('a'), Promise.reject(gone));
    await settle(clock, 1_000);
    await expect(result).resolves.toBe('ok');
    expect(attempts).toEqual([{ attempt: 2, avoid: ['a'] }]);
    expect(retrier.retries('quote', 'node_unavailable')).toBe(1);

    const answered = new TimeoutError({ target: 'quote', timeoutMs: 1 }, { origin: 'b' });
    const timedOut = run(byName('b'), Promise.reject(answered));
    await settle(clock, 1_000);
    await expect(timedOut).rejects.toBe(answered);
    expect(attempts).toHaveLength(1);
  });
});

describe('retryTarget', () => {
  it("sends a keyed retry to the key's next ring node and an unkeyed one to a node that did not fail it", () => {
    const clock = new SimulatedClock();
    const view = viewOf('a', 'b', 'c');
    const keyed = defineFunction(
      { name: 'keyed', shardBy: 'k', retry: { maxAttempts: 3 } },
      (_ctx, x: { k: string }) => x,
    );
    const [owner, next] = view.ring.owners('k1', 2);
    const call = new RetryCall('keyed', keyed, { k: 'k1' }, undefined, 'id.3', 0, clock.now() + 1_000, owner);
    call.attempt = 2;
    call.avoid = new Set([owner!]);
    expect(retryTarget(call, view, () => false)).toBe(next);
    // An open breaker is avoided like a failed node; nothing usable left: the queue group.
    expect(retryTarget(call, view, (n) => n !== owner && n !== next)).toBe(next);
    expect(retryTarget(call, view, () => true)).toBeUndefined();
    expect(retryTarget(call, undefined, () => false)).toBeUndefined();
  });
});

describe('retryTarget', () => {
  it('sends a retry only to another node that hosts the function', () => {
    const load = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 8, queueDepth: 0, maxQueue: 100 };
    const view = createClusterView([
      { id: 'a', tags: [], load, modules: ['fn:pure@1'] },
      { id: 'b', tags: [], load, modules: ['fn:other@1'] },
      { id: 'c', tags: [], load, modules: ['fn:pure@1'] },
    ]);
    for (let attempt = 1; attempt <= 4; attempt++) {
      const call = new RetryCall('pure', fn, 1, undefined, 'id.1', 0, 10_000, 'a');
      call.attempt = attempt;
      call.avoid = new Set(['a']);
      expect(retryTarget(call, view, () => false)).toBe('c');
    }
  });
});
