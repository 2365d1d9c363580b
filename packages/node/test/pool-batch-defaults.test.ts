/**
 * Regression (node/remote throughput): with the pool's default limits a burst of cheap calls crosses to the
 * workers as one task per thread, and calls that arrive while every thread is busy wait in their lane and
 * leave as one batch, instead of being pre-cut into small tasks that sit in piscina's queue (piscina runs one
 * abortable task per worker at a time, and each task costs the main thread a clone and an `Atomics.notify`).
 * Deterministic: an in-process twin of piscina, no workers, no timers.
 */
import { defineFunction } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BATCH_SIZE, DEFAULT_TASKS_IN_FLIGHT_PER_THREAD } from '../src/pool/function-pool.js';
import { Lane } from '../src/pool/lane.js';
import { PoolEngine, type TaskRunner } from '../src/pool/pool-engine.js';
import { type BatchResult, type BatchTask, TASK_INPUTS } from '../src/pool/protocol.js';

const THREADS = 2;

/** Records tasks; the test completes them with `x + 1` per input. */
class RecordingRunner implements TaskRunner {
  readonly tasks: { task: BatchTask; resolve(result: BatchResult): void }[] = [];
  readonly utilization = 0;
  run(task: BatchTask): Promise<BatchResult> {
    return new Promise<BatchResult>((resolve) => this.tasks.push({ task, resolve }));
  }
  on(): this {
    return this;
  }
  async destroy(): Promise<void> {}
  sizeOf(index: number): number {
    return this.tasks[index]!.task.length - TASK_INPUTS;
  }
  complete(index: number, runMs: number): void {
    const inputs = this.tasks[index]!.task.slice(TASK_INPUTS) as number[];
    this.tasks[index]!.resolve([runMs, null, null, ...inputs.map((x) => x + 1)]);
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function defaultEngine() {
  // A deadline on every call, as the router gives them: each task is then abortable.
  const definition = defineFunction({ name: 'inc', resources: { timeoutMs: 30_000 } }, (_c, x: number) => x + 1);
  const lane = new Lane(definition);
  const runner = new RecordingRunner();
  const engine = new PoolEngine(runner, new Map([[definition.name, lane]]), {
    maxBatchSize: DEFAULT_MAX_BATCH_SIZE,
    maxBatchEstimateMs: 1,
    maxTasksInFlight: THREADS * DEFAULT_TASKS_IN_FLIGHT_PER_THREAD,
    closeTimeoutMs: 1_000,
  });
  return { engine, runner };
}

describe('function pool defaults under a burst', () => {
  it('sends 1000 cheap calls as one task per thread, and later arrivals as one batch', async () => {
    const { engine, runner } = defaultEngine();
    const probe = engine.call('inc', 0, { timeoutMs: 10_000 });
    await turn();
    runner.complete(0, 0.001); // learns ~1 µs per call
    expect(await probe).toBe(1);

    const burst = Array.from({ length: 1000 }, (_, i) => engine.call<number>('inc', i, { timeoutMs: 10_000 }));
    await turn();
    expect(runner.tasks.map((_, i) => runner.sizeOf(i)).slice(1)).toEqual([512, 488]);

    // Arrivals while both threads are busy are not cut yet: they grow into one batch.
    const late = Array.from({ length: 300 }, (_, i) => engine.call<number>('inc', 1000 + i, { timeoutMs: 10_000 }));
    await turn();
    expect(runner.tasks).toHaveLength(3);
    runner.complete(1, 0.5);
    await turn();
    expect(runner.tasks).toHaveLength(4);
    expect(runner.sizeOf(3)).toBe(300);
    runner.complete(2, 0.5);
    runner.complete(3, 0.3);
    expect(await Promise.all(burst)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(await Promise.all(late)).toEqual(Array.from({ length: 300 }, (_, i) => 1001 + i));
    expect(engine.stats()).toMatchObject({ calls: 1301, batches: 4, queueDepth: 0, tasksInFlight: 0 });
  });
});
