/**
 * The pool's scheduling logic against an in-process twin of piscina that settles tasks only when the test
 * says so: batch sizes, the in-flight cap, fairness between functions, crash retries and cancellation.
 * Deterministic: no workers, no real timers, no sleeping (only event-loop turns to let microtasks run); deadlines,
 * backoffs and the close timeout run on a simulated clock.
 */
import {
  CancelledError,
  defineFunction,
  type FunctionDefinition,
  ShuttingDownError,
  SimulatedClock,
  TimeoutError,
  WorkerCrashedError,
} from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { Lane } from '../src/pool/lane.js';
import { PoolEngine, type TaskRunner } from '../src/pool/pool-engine.js';
import {
  type BatchResult,
  type BatchTask,
  TASK_ATTEMPTS,
  TASK_DEADLINES,
  TASK_INPUTS,
  TASK_NAME,
} from '../src/pool/protocol.js';
import type { TaskAbortHandle } from '../src/pool/task-abort-handle.js';

interface Submitted {
  readonly task: BatchTask;
  readonly signal: TaskAbortHandle | undefined;
  resolve(result: BatchResult): void;
  reject(error: unknown): void;
}

/** Records every task; the test completes, crashes or watches them. Aborting a task rejects it, like piscina. */
class ManualRunner implements TaskRunner {
  readonly submitted: Submitted[] = [];
  readonly utilization = 0;
  destroyed = false;

  run(task: BatchTask, options?: { signal: TaskAbortHandle }): Promise<BatchResult> {
    return new Promise<BatchResult>((resolve, reject) => {
      const signal = options?.signal;
      const onAbort = (): void => reject(new Error('aborted'));
      signal?.once('abort', onAbort);
      // Like piscina: the listener is removed when the task settles.
      this.submitted.push({
        task,
        signal,
        resolve: (result) => {
          signal?.removeListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeListener('abort', onAbort);
          reject(error);
        },
      });
    });
  }
  on(): this {
    return this;
  }
  async destroy(): Promise<void> {
    this.destroyed = true;
  }

  inputsOf(index: number): unknown[] {
    return this.submitted[index]!.task.slice(TASK_INPUTS);
  }
  /** Completes task `index` with `x + 1` for every input, as if it ran for `runMs`. */
  complete(index: number, runMs = 0.001): void {
    const inputs = this.inputsOf(index) as number[];
    this.submitted[index]!.resolve([runMs, null, null, ...inputs.map((x) => x + 1)]);
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function engineWith(definitions: FunctionDefinition[], maxTasksInFlight = 4, clock = new SimulatedClock()) {
  const runner = new ManualRunner();
  const lanes = new Map<string, Lane>();
  for (const d of definitions) {
    const lane = new Lane(d);
    lanes.set(d.name, lane);
    lanes.set(d.id, lane);
  }
  const engine = new PoolEngine(
    runner,
    lanes,
    {
      maxBatchSize: 8,
      maxBatchEstimateMs: 1,
      maxTasksInFlight,
      closeTimeoutMs: 1_000,
    },
    clock,
  );
  return { runner, engine, clock };
}

const plain = (name: string, maxAttempts = 3) =>
  defineFunction({ name, resources: { timeoutMs: 0 }, retry: { maxAttempts, backoffMs: 0 } }, (_c, x: number) => x);

describe('PoolEngine scheduling', () => {
  it('probes an unknown function with one call, then batches by the estimate up to maxBatchSize', async () => {
    const { runner, engine } = engineWith([plain('f')], 1);
    const results = Array.from({ length: 12 }, (_, i) => engine.call('f', i));
    await turn();
    expect(runner.submitted).toHaveLength(1);
    expect(runner.inputsOf(0)).toEqual([0]);
    runner.complete(0, 0.25); // 0.25 ms per call: 4 fit in the 1 ms budget
    await turn();
    expect(runner.inputsOf(1)).toEqual([1, 2, 3, 4]);
    runner.complete(1, 0.004); // now 0.25 + 0.25 × (0.001 − 0.25) ≈ 0.19 ms per call: 5 fit
    await turn();
    expect(runner.inputsOf(2)).toEqual([5, 6, 7, 8, 9]);
    runner.complete(2);
    await turn();
    runner.complete(3);
    expect(await Promise.all(results)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('keeps at most maxTasksInFlight tasks out and starts the next when one finishes', async () => {
    const { runner, engine } = engineWith([plain('f')], 2);
    const results = [1, 2, 3].map((x) => engine.call('f', x));
    await turn();
    expect(runner.submitted).toHaveLength(2);
    runner.complete(0);
    await turn();
    expect(runner.submitted).toHaveLength(3);
    runner.complete(1);
    runner.complete(2);
    expect(await Promise.all(results)).toEqual([2, 3, 4]);
    expect(engine.stats()).toMatchObject({ calls: 3, batches: 3, queueDepth: 0, tasksInFlight: 0 });
  });

  it('serves functions round robin, so a deep queue does not starve another function', async () => {
    const { runner, engine } = engineWith([plain('busy'), plain('quiet')], 1);
    const all = [...Array.from({ length: 5 }, (_, i) => engine.call('busy', i)), engine.call('quiet', 100)];
    await turn();
    expect(runner.submitted[0]!.task[TASK_NAME]).toBe('busy@1');
    runner.complete(0);
    await turn();
    expect(runner.submitted[1]!.task[TASK_NAME]).toBe('quiet@1');
    for (let i = 1; runner.submitted.length > i || engine.stats().queueDepth > 0; i++) {
      runner.complete(i);
      await turn();
    }
    await Promise.all(all);
  });

  it('retries the calls of a crashed task one by one with the next attempt number, then gives up', async () => {
    const { runner, engine } = engineWith([plain('f', 2)], 1);
    await Promise.all([engine.call('f', 0), turn().then(() => runner.complete(0))]); // a sample, to batch
    const calls = [1, 2].map((x) => engine.call('f', x).catch((e: unknown) => e));
    await turn();
    expect(runner.inputsOf(1)).toEqual([1, 2]);
    runner.submitted[1]!.reject(new Error('worker exited with code: 1'));
    await turn();
    // Each call alone, attempt 2, in the original order.
    expect(runner.inputsOf(2)).toEqual([1]);
    expect(runner.submitted[2]!.task[TASK_ATTEMPTS]).toEqual([2]);
    runner.complete(2);
    await turn();
    expect(runner.inputsOf(3)).toEqual([2]);
    runner.submitted[3]!.reject(new Error('worker exited with code: 1'));
    const [first, second] = await Promise.all(calls);
    expect(first).toBe(2);
    expect(WorkerCrashedError.is(second)).toBe(true);
    expect(engine.stats()).toMatchObject({ crashes: 2, retries: 2 });
  });

  it('cancelling a running call aborts its task and re-runs its batch-mates first, in order', async () => {
    const { runner, engine } = engineWith([plain('f')], 1);
    await Promise.all([engine.call('f', 0), turn().then(() => runner.complete(0))]);
    const controller = new AbortController();
    const mates = [engine.call('f', 1), engine.call('f', 2, { signal: controller.signal }), engine.call('f', 3)];
    const later = engine.call('f', 4);
    const outcomes = Promise.allSettled([...mates, later]); // handlers attached before anything rejects
    await turn();
    expect(runner.inputsOf(1)).toEqual([1, 2, 3, 4]);
    expect(runner.submitted[1]!.signal).toBeDefined();
    controller.abort();
    await turn();
    expect(runner.submitted[1]!.signal!.aborted).toBe(true);
    expect(runner.inputsOf(2)).toEqual([1, 3, 4]);
    runner.complete(2);
    const settled = await outcomes;
    expect(settled.map((r) => (r.status === 'fulfilled' ? r.value : r.reason.code))).toEqual([
      2,
      CancelledError.code,
      4,
      5,
    ]);
    expect(engine.stats().reruns).toBe(3);
  });

  it('reuses the abort handle of a settled batch, never one that was aborted', async () => {
    const { runner, engine } = engineWith([plain('f')], 1);
    const controller = new AbortController();
    await Promise.all([engine.call('f', 0, { signal: controller.signal }), turn().then(() => runner.complete(0))]);
    const first = runner.submitted[0]!.signal!;
    const second = engine.call('f', 1, { signal: controller.signal });
    await turn();
    expect(runner.submitted[1]!.signal).toBe(first); // settled, never aborted: reused
    controller.abort();
    expect(CancelledError.is(await second.catch((e: unknown) => e))).toBe(true);
    expect(first.aborted).toBe(true);
    const third = engine.call('f', 2, { signal: new AbortController().signal });
    await turn();
    expect(runner.submitted[2]!.signal).not.toBe(first);
    expect(runner.submitted[2]!.signal!.aborted).toBe(false);
    runner.complete(2);
    expect(await third).toBe(3);
  });

  it('close waits for running tasks, then destroys the runner', async () => {
    const { runner, engine } = engineWith([plain('f')], 1);
    const call = engine.call('f', 1);
    await turn();
    const closed = engine.close();
    await turn();
    expect(runner.destroyed).toBe(false);
    runner.complete(0);
    expect(await call).toBe(2);
    await closed;
    expect(runner.destroyed).toBe(true);
  });
});

describe('PoolEngine time (simulated clock)', () => {
  const bounded = (timeoutMs: number) =>
    defineFunction({ name: 'bounded', resources: { timeoutMs }, retry: { maxAttempts: 1 } }, (_c, x: number) => x);

  it("aborts a run past the function's own timeout, counted from dispatch, then serves the next call", async () => {
    const { runner, engine, clock } = engineWith([bounded(100)], 1);
    const late = engine.call('bounded', 1).catch((e: unknown) => e);
    clock.advance(30); // queued time does not count against the run budget
    await turn();
    expect(runner.submitted).toHaveLength(1);
    const next = engine.call('bounded', 2);
    clock.advance(100);
    await turn();
    expect(runner.submitted[0]!.signal?.aborted).toBe(false); // due at 130, the timer fires 1 ms later
    clock.advance(1);
    await turn();
    const error = await late;
    expect(TimeoutError.is(error)).toBe(true);
    expect((error as TimeoutError).details).toEqual({ target: 'bounded', timeoutMs: 100 });
    expect(runner.submitted[0]!.signal?.aborted).toBe(true);
    expect(runner.inputsOf(1)).toEqual([2]);
    runner.complete(1);
    expect(await next).toBe(3);
    expect(engine.stats().timeouts).toBe(1);
  });

  it("reads a caller's epoch-ms deadline against the clock's wall time and sends it to the worker as epoch ms", async () => {
    const clock = new SimulatedClock(5_000, 1_800_000_000_000);
    const { runner, engine } = engineWith([plain('f')], 1, clock);
    const deadline = clock.wallNow() + 40;
    const call = engine.call('f', 1, { deadline }).catch((e: unknown) => e);
    await turn();
    expect(runner.submitted[0]!.task[TASK_DEADLINES]).toEqual([deadline]);
    clock.advance(40);
    await turn();
    expect(runner.submitted[0]!.signal?.aborted).toBe(false);
    clock.advance(1);
    const error = await call;
    expect(TimeoutError.is(error)).toBe(true);
    expect((error as TimeoutError).details).toEqual({ target: 'f', timeoutMs: 40 });
    // A deadline already past fails in the queue, without a task.
    const expired = await engine.call('f', 2, { deadline: clock.wallNow() - 1 }).catch((e: unknown) => e);
    expect(TimeoutError.is(expired)).toBe(true);
    expect(runner.submitted).toHaveLength(1);
  });

  it("waits out the retry policy's backoff on the clock before re-running a crashed call", async () => {
    const backoff = defineFunction(
      { name: 'b', resources: { timeoutMs: 0 }, retry: { maxAttempts: 2, backoffMs: 100 } },
      (_c, x: number) => x,
    );
    const { runner, engine, clock } = engineWith([backoff], 1);
    const call = engine.call('b', 7);
    await turn();
    runner.submitted[0]!.reject(new Error('worker exited'));
    await turn();
    clock.advance(99);
    await turn();
    expect(runner.submitted).toHaveLength(1);
    expect(engine.stats().queueDepth).toBe(1); // backing off counts as queued
    clock.advance(1);
    await turn();
    expect(runner.submitted).toHaveLength(2);
    expect(runner.submitted[1]!.task[TASK_ATTEMPTS]).toEqual([2]);
    runner.complete(1);
    expect(await call).toBe(8);
  });

  it('close gives running calls closeTimeoutMs on the clock, then fails them with ShuttingDownError', async () => {
    const { runner, engine, clock } = engineWith([plain('f')], 1);
    const call = engine.call('f', 1).catch((e: unknown) => e);
    await turn();
    const closing = engine.close();
    clock.advance(999);
    await turn();
    expect(runner.destroyed).toBe(false);
    clock.advance(1);
    await closing;
    expect(ShuttingDownError.is(await call)).toBe(true);
    expect(runner.destroyed).toBe(true);
  });
});
