/**
 * The function pool against real piscina workers (the compiled `dist/pool/worker.js`: build with
 * `npx tsc -b packages/node` first). Every wait is bounded by a call deadline or the test timeout; nothing
 * asserts on wall-clock speed.
 */
import {
  CancelledError,
  ConflictError,
  createRegistry,
  HandlerError,
  ShuttingDownError,
  TimeoutError,
  UnknownFunctionError,
  WorkerCrashedError,
} from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFunctionPool, type FunctionPool } from '../../src/pool/function-pool.js';
import { codeOfSettled } from '../error-code.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const MATH = fixture('math.mjs');
const SLOW = fixture('slow.mjs');
const CRASH = fixture('crash.mjs');
// A generous batch budget: these tests need calls made together to share a batch, and on a loaded machine a
// single descheduled sample could otherwise shrink the estimate-bounded batch size.
const BATCH_BUDGET = { maxBatchEstimateMs: 1_000 };

/** The code of what a promise rejects with, or `'resolved'`. */

describe('function pool: results, batching and handler errors', () => {
  let pool: FunctionPool;
  beforeAll(async () => {
    pool = await createFunctionPool({ modules: [MATH, SLOW], threads: 2, ...BATCH_BUDGET });
  });
  afterAll(() => pool.close());

  it('lists the functions of its modules', () => {
    expect([...pool.functions].sort()).toContain('addOne');
    expect(pool.functions).toContain('maybeSpin');
  });

  it('returns every result to its own caller when many calls of several functions overlap', async () => {
    const before = pool.stats();
    const n = 600;
    const calls: Promise<unknown>[] = [];
    const expected: unknown[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 3 === 0) {
        calls.push(pool.call('addOne', i));
        expected.push(i + 1);
      } else if (i % 3 === 1) {
        calls.push(pool.call('double', i));
        expected.push(i * 2);
      } else {
        calls.push(pool.call('greet', `n${i}`));
        expected.push(`hi n${i}`);
      }
    }
    expect(await Promise.all(calls)).toEqual(expected);
    const after = pool.stats();
    expect(after.calls - before.calls).toBe(n);
    // Coalesced: far fewer piscina tasks than calls.
    expect(after.batches - before.batches).toBeLessThan(n / 4);
    expect(after.queueDepth).toBe(0);
    expect(after.tasksInFlight).toBe(0);
  });

  it('sends one task per call when calls come one at a time', async () => {
    const before = pool.stats();
    for (let i = 0; i < 20; i++) expect(await pool.call('addOne', i)).toBe(i + 1);
    expect(pool.stats().batches - before.batches).toBe(20);
  });

  it('runs the active version for a bare name and the exact one for name@version', async () => {
    expect(pool.functions).toEqual(expect.arrayContaining(['greet', 'greet@1', 'greet@2']));
    expect(await pool.call('greet', 'a')).toBe('hi a');
    expect(await pool.call('greet@1', 'b')).toBe('hello b');
    expect(await pool.call('greet@2', 'c')).toBe('hi c');
  });

  it('awaits async handlers', async () => {
    expect(await Promise.all([pool.call('later', 1), pool.call('later', 2)])).toEqual([10, 20]);
  });

  it('fails only the call whose handler threw, with HandlerError carrying the remote name and message', async () => {
    await pool.call('sqrtOrThrow', 1); // warm the estimate so the next calls share a batch
    const before = pool.stats();
    const results = await Promise.allSettled([
      pool.call('sqrtOrThrow', 4),
      pool.call('sqrtOrThrow', -1),
      pool.call('sqrtOrThrow', 9),
    ]);
    expect(pool.stats().batches - before.batches).toBe(1);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 2 });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 3 });
    const failure = results[1] as PromiseRejectedResult;
    expect(HandlerError.is(failure.reason)).toBe(true);
    expect(failure.reason.code).toBe(HandlerError.code);
    expect(failure.reason.details).toMatchObject({ target: 'sqrtOrThrow', remoteName: 'TypeError' });
    expect(failure.reason.details.remoteMessage).toContain('-1');
  });

  it('keeps the code of a Lucent error thrown by a handler', async () => {
    const error = await pool.call('conflict', 'k1').catch((e: unknown) => e);
    expect(ConflictError.is(error)).toBe(true);
    expect((error as ConflictError).details).toMatchObject({ key: 'k1', expectedRevision: 1, actualRevision: 2 });
  });

  it('rejects an unknown function with UnknownFunctionError, without a task', async () => {
    const before = pool.stats();
    const error = await pool.call('noSuchFunction', 1).catch((e: unknown) => e);
    expect(UnknownFunctionError.is(error)).toBe(true);
    expect((error as UnknownFunctionError).details).toEqual({ name: 'noSuchFunction' });
    expect(pool.stats().batches).toBe(before.batches);
    expect(pool.stats().calls).toBe(before.calls);
  });

  it('gives handlers their name, attempt and deadline', async () => {
    expect(await pool.call('context', null)).toEqual({ name: 'context', attempt: 1, hasDeadline: false });
    expect(await pool.call('context', null, { timeoutMs: 5_000 })).toEqual({
      name: 'context',
      attempt: 1,
      hasDeadline: true,
    });
  });
});

describe('function pool: deadlines and cancellation', () => {
  let pool: FunctionPool;
  beforeAll(async () => {
    pool = await createFunctionPool({ modules: [SLOW], threads: 2, ...BATCH_BUDGET });
  });
  afterAll(() => pool.close());

  it("applies the function's own timeout (resources.timeoutMs) to each run", async () => {
    // Two overlapping calls start both workers, so a healthy one is ready when the other is cut off.
    await Promise.all([1, 2].map((value) => pool.call('maybeSpin', { spinMs: 20, value })));
    const error = await pool.call('bounded', { forever: true }).catch((e: unknown) => e);
    expect(TimeoutError.is(error)).toBe(true);
    expect((error as TimeoutError).details).toEqual({ target: 'bounded', timeoutMs: 150 });
    expect(await pool.call('bounded', { value: 'ok' })).toBe('ok');
  });

  it('fails only the late call of a batch with TimeoutError; its batch-mates re-run and succeed', async () => {
    await pool.call('maybeSpin', { value: 0 }); // a first sample, so the next calls are batched together
    const before = pool.stats();
    const mates = [1, 2, 3].map((value) => pool.call('maybeSpin', { value }));
    const late = pool.call('maybeSpin', { forever: true }, { timeoutMs: 100 });
    const after = [4, 5].map((value) => pool.call('maybeSpin', { value }));
    const lateError = await late.catch((e: unknown) => e);
    expect(TimeoutError.is(lateError)).toBe(true);
    expect((lateError as TimeoutError).details).toEqual({ target: 'maybeSpin', timeoutMs: 100 });
    expect(await Promise.all([...mates, ...after])).toEqual([1, 2, 3, 4, 5]);
    const stats = pool.stats();
    expect(stats.timeouts - before.timeouts).toBe(1);
    expect(stats.reruns - before.reruns).toBeGreaterThanOrEqual(3);
  });

  it('keeps serving after an infinite loop: two stuck calls on two threads are both cut off', async () => {
    const stuck = [1, 2].map(() => pool.call('maybeSpin', { forever: true }, { timeoutMs: 80 }));
    expect(await Promise.all(stuck.map(codeOfSettled))).toEqual([TimeoutError.code, TimeoutError.code]);
    expect(await Promise.all([7, 8, 9].map((value) => pool.call('maybeSpin', { value })))).toEqual([7, 8, 9]);
  });

  it('fails a call whose deadline has already passed without running it', async () => {
    const before = pool.stats();
    expect(await codeOfSettled(pool.call('maybeSpin', { value: 1 }, { deadline: Date.now() - 1 }))).toBe(
      TimeoutError.code,
    );
    expect(pool.stats().batches).toBe(before.batches);
  });

  it('cancels a call through its signal: before the call, while queued, and while running', async () => {
    expect(await codeOfSettled(pool.call('maybeSpin', { value: 1 }, { signal: AbortSignal.abort() }))).toBe(
      CancelledError.code,
    );
    const running = new AbortController();
    const stuck = pool.call('maybeSpin', { forever: true }, { signal: running.signal });
    const queued = new AbortController();
    // Keep both threads busy so this call waits in the queue.
    const busy = pool.call('maybeSpin', { spinMs: 200, value: 'busy' });
    const waiting = pool.call('maybeSpin', { value: 'never' }, { signal: queued.signal });
    queued.abort();
    expect(await codeOfSettled(waiting)).toBe(CancelledError.code);
    running.abort();
    expect(await codeOfSettled(stuck)).toBe(CancelledError.code);
    expect(await busy).toBe('busy');
    expect(await pool.call('maybeSpin', { value: 'after' })).toBe('after');
  });
});

describe('function pool: worker crashes', () => {
  let pool: FunctionPool;
  beforeAll(async () => {
    pool = await createFunctionPool({ modules: [CRASH], threads: 2, ...BATCH_BUDGET });
  });
  afterAll(() => pool.close());

  it('fails with WorkerCrashedError once the attempts of the retry policy are spent', async () => {
    const before = pool.stats();
    const error = await pool.call('exitAlways', 1).catch((e: unknown) => e);
    expect(WorkerCrashedError.is(error)).toBe(true);
    expect((error as WorkerCrashedError).details.name).toBe('exitAlways');
    const stats = pool.stats();
    expect(stats.crashes - before.crashes).toBe(2); // maxAttempts: 2
    expect(stats.retries - before.retries).toBe(1);
  });

  it('succeeds when a retry succeeds (the handler sees attempt 2)', async () => {
    expect(await pool.call('exitOnFirstAttempt', 7)).toEqual({ x: 7, attempt: 2 });
  });

  it('treats an uncaught error outside the handler as a crash', async () => {
    expect(await codeOfSettled(pool.call('throwOutside', 1))).toBe(WorkerCrashedError.code);
  });

  it('lets the batch-mates of a call that kills its worker succeed (they are retried one by one)', async () => {
    await pool.call('exitIf', { value: 0 }); // a first sample, so the next calls share a batch
    const results = await Promise.allSettled([
      pool.call('exitIf', { value: 1 }),
      pool.call('exitIf', { exit: true }),
      pool.call('exitIf', { value: 3 }),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason.code))).toEqual([
      1,
      WorkerCrashedError.code,
      3,
    ]);
  });

  it('keeps serving after crashes', async () => {
    expect(await pool.call('exitIf', { value: 'still here' })).toBe('still here');
  });
});

describe('function pool: a registry handed over', () => {
  it('takes its metadata from the registry and imports nothing for it on this thread', async () => {
    // The workers import math.mjs whole; this thread's registry holds only `double`. A pool that loaded the
    // modules again on this thread would list (and accept) every function of math.mjs.
    const math = (await import(MATH.href)) as Record<string, unknown>;
    const registry = createRegistry();
    registry.addModule({ double: math.double });
    const pool = await createFunctionPool({ modules: [MATH], registry, threads: 1 });
    try {
      expect(pool.functions).toEqual(['double@1', 'double']);
      expect(await pool.call('double', 21)).toBe(42);
      expect(await codeOfSettled(pool.call('addOne', 1))).toBe(UnknownFunctionError.code);
    } finally {
      await pool.close();
    }
  });
});

describe('function pool: workers that cannot run', () => {
  it('fails calls with WorkerCrashedError when a worker runs out of heap (resourceLimits)', async () => {
    const pool = await createFunctionPool({
      modules: [CRASH],
      threads: 1,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    try {
      expect(await codeOfSettled(pool.call('exhaustHeap', null))).toBe(WorkerCrashedError.code);
      expect(await pool.call('exitIf', { value: 'recovered' })).toBe('recovered');
    } finally {
      await pool.close();
    }
  });

  it('fails calls with WorkerCrashedError when the module throws on import in the workers', async () => {
    const pool = await createFunctionPool({ modules: [fixture('crash-on-import.mjs')], threads: 1 });
    try {
      expect(await codeOfSettled(pool.call('unreachable', 1))).toBe(WorkerCrashedError.code);
    } finally {
      await pool.close();
    }
  });
});

describe('function pool: close', () => {
  it('lets in-flight calls finish, then rejects new calls with ShuttingDownError', async () => {
    const pool = await createFunctionPool({ modules: [MATH, SLOW], threads: 2, ...BATCH_BUDGET });
    const inFlight = [1, 2, 3].map((i) => pool.call('maybeSpin', { spinMs: 30, value: i }));
    const closing = pool.close();
    expect(await codeOfSettled(pool.call('addOne', 1))).toBe(ShuttingDownError.code);
    expect(await Promise.all(inFlight)).toEqual([1, 2, 3]);
    await closing;
    expect(pool.close()).toBe(closing); // idempotent
  });

  it('fails calls still running after closeTimeoutMs with ShuttingDownError', async () => {
    const pool = await createFunctionPool({ modules: [SLOW], threads: 1, closeTimeoutMs: 100 });
    const stuck = codeOfSettled(pool.call('maybeSpin', { forever: true }));
    const queued = codeOfSettled(pool.call('maybeSpin', { value: 1 }));
    await pool.close();
    expect(await stuck).toBe(ShuttingDownError.code);
    expect(await queued).toBe(ShuttingDownError.code);
  });
});
