/**
 * Per-function state inside the pool (a lane: its queue, its cost estimate, its limits) and one in-flight
 * batch. Plain data with no I/O; the pool drives them.
 */
import { type FunctionDefinition, PRIORITIES, retryDelayMs } from '@lucent/core/internal';
import { Deque } from './deque.js';
import type { MainThreadRunner } from './main-thread-runner.js';
import type { PendingCall } from './pending-call.js';
import { RunEstimator } from './run-estimator.js';
import type { TaskAbortHandle } from './task-abort-handle.js';

/** The queue and cost model of one function version. */
export class Lane {
  readonly queue = new Deque<PendingCall>();
  readonly estimator = new RunEstimator();
  /** True while the lane sits in the pool's ready ring (it has queued calls). */
  ready = false;
  /** `name@version`: what the worker looks the handler up by. */
  readonly id: string;
  readonly name: string;
  /** The function's own run-time limit in ms (0 = none). */
  readonly timeoutMs: number;
  /** Runs a call may get when workers crash under it (>= 1). */
  readonly maxAttempts: number;
  /** The rank of `resources.priority` (index in `PRIORITIES`, lowest first): which ready ring the lane joins. */
  readonly rank: number;
  /** `resources.maxConcurrency`, or `Infinity` when the function sets none. */
  readonly maxConcurrency: number;
  /** Calls running now: in flight to a worker, or inline with a pending promise. */
  running = 0;
  /** Set while the function runs on the main thread (`cpu: 'low'`, see `main-thread-runner.ts`); `null` = pooled. */
  inline: MainThreadRunner | null = null;
  /**
   * Frees the slot of an async inline run when it settles. The engine binds it once per inline lane (no closure
   * per call), so that calls queued meanwhile behind `maxConcurrency` get going again.
   */
  release: () => void = () => {
    this.running--;
  };

  constructor(readonly definition: FunctionDefinition) {
    const resources = definition.resources;
    this.id = definition.id;
    this.name = definition.name;
    this.timeoutMs = resources.timeoutMs;
    this.maxAttempts = definition.retry.maxAttempts;
    this.rank = Math.max(0, PRIORITIES.indexOf(resources.priority));
    this.maxConcurrency = resources.maxConcurrency > 0 ? resources.maxConcurrency : Number.POSITIVE_INFINITY;
  }

  /** Milliseconds to wait before running attempt `attempt` (2 = first retry), per the function's retry policy. */
  retryDelayMs(attempt: number): number {
    return retryDelayMs(this.definition.retry, attempt);
  }
}

/** One piscina task in flight: the calls it carries, and how to abort it. */
export class Batch {
  /** Set once the batch's outcome is decided (result, crash, deadline, cancel or close); later news is ignored. */
  settled = false;

  constructor(
    readonly lane: Lane,
    readonly calls: PendingCall[],
    /** Present when a call has a deadline or a signal: aborting it terminates the worker. */
    readonly abortHandle: TaskAbortHandle | null,
    /** Earliest `deadlineAt` of its calls (`Infinity` = none). */
    readonly earliestAt: number,
  ) {}
}
