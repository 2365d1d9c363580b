/**
 * An in-process twin of piscina for the pool engine's unit tests: it records every task and settles one only
 * when the test says so, so scheduling is observable batch by batch without workers or real time.
 */
import type { FunctionDefinition } from '@lucent/core/internal';
import { SimulatedClock } from '@lucent/core/internal';
import { Lane } from '../src/pool/lane.js';
import { type EngineEvents, type EngineLimits, PoolEngine, type TaskRunner } from '../src/pool/pool-engine.js';
import { type BatchResult, type BatchTask, TASK_INPUTS } from '../src/pool/protocol.js';
import type { TaskAbortHandle } from '../src/pool/task-abort-handle.js';

export interface Submitted {
  readonly task: BatchTask;
  readonly signal: TaskAbortHandle | undefined;
  resolve(result: BatchResult): void;
  reject(error: unknown): void;
}

/** Records every task; the test completes, crashes or watches them. Aborting a task rejects it, like piscina. */
export class ManualRunner implements TaskRunner {
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

export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function engineWith(
  definitions: FunctionDefinition[],
  maxTasksInFlight = 4,
  clock = new SimulatedClock(),
  extra: Partial<EngineLimits> = {},
  events: EngineEvents = {},
) {
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
      ...extra,
    },
    clock,
    events,
  );
  return { runner, engine, clock };
}
