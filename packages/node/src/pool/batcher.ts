/**
 * How many queued calls of one function go into the next batch. Pure: the estimate and the limits in,
 * a count out.
 *
 * ```
 *   estimate unknown ─────────────► 1          (probe: learn the cost before risking a big batch)
 *   estimate e ms per call ───────► floor(maxBatchEstimateMs / e), clamped to [1, maxBatchSize]
 *   never more than are queued
 * ```
 *
 * Also builds the piscina task for a cut batch.
 */
import { contextEntry } from './call-effects.js';
import type { PendingCall } from './pending-call.js';
import {
  type BatchTask,
  TASK_ATTEMPTS,
  TASK_BULK,
  TASK_CONTEXTS,
  TASK_DEADLINES,
  TASK_EVENTS,
  TASK_INPUTS,
  TASK_NAME,
  type TaskContext,
} from './protocol.js';

/** Limits that bound one batch. */
export interface BatchLimits {
  /** Most calls in one piscina task. */
  readonly maxBatchSize: number;
  /** Most estimated run time (ms) of one batch; a call estimated above it runs alone. */
  readonly maxBatchEstimateMs: number;
}

/**
 * The size of the next batch for a function with `queued` calls waiting and an estimated `perCallMs`
 * (`NaN` when unknown). Returns 0 only when nothing is queued.
 */
export function nextBatchSize(queued: number, perCallMs: number, limits: BatchLimits): number {
  if (queued <= 0) return 0;
  if (Number.isNaN(perCallMs)) return 1;
  // A zero estimate (timer resolution) allows a full batch rather than dividing by zero.
  const byTime = perCallMs <= 0 ? limits.maxBatchSize : Math.floor(limits.maxBatchEstimateMs / perCallMs);
  return Math.max(1, Math.min(byTime, limits.maxBatchSize, queued));
}

/**
 * The task for `calls` of the function with id `id` (`name@version`). The per-call `attempts` and `deadlines` arrays are only built when
 * some call needs them (a retry, a deadline); deadlines travel as epoch ms because each worker has its own
 * `performance.now()` origin: `wallOffsetMs` is the engine clock's `wallNow() - now()` at dispatch.
 */
export function toBatchTask(id: string, calls: readonly PendingCall[], wallOffsetMs: number): BatchTask {
  const count = calls.length;
  const task: BatchTask = new Array<unknown>(TASK_INPUTS + count);
  let attempts: number[] | null = null;
  let deadlines: number[] | null = null;
  let events: ([string, number] | null)[] | null = null;
  let contexts: (string | TaskContext | null)[] | null = null;
  let bulk: boolean[] | null = null;
  for (let i = 0; i < count; i++) {
    const call = calls[i]!;
    task[TASK_INPUTS + i] = call.input;
    if (call.bulk) {
      bulk ??= new Array<boolean>(count).fill(false);
      bulk[i] = true;
    }
    if (call.request !== null) {
      contexts ??= new Array<string | TaskContext | null>(count).fill(null);
      contexts[i] = contextEntry(call.request);
    }
    if (call.event !== null) {
      events ??= new Array<[string, number] | null>(count).fill(null);
      events[i] = [call.event.id, call.event.attempt];
    }
    if (call.attempt !== 1) {
      attempts ??= new Array<number>(count).fill(1);
      attempts[i] = call.attempt;
    }
    if (call.deadlineAt !== Number.POSITIVE_INFINITY) {
      deadlines ??= new Array<number>(count).fill(0);
      deadlines[i] = wallOffsetMs + call.deadlineAt;
    }
  }
  task[TASK_NAME] = id;
  task[TASK_ATTEMPTS] = attempts;
  task[TASK_DEADLINES] = deadlines;
  task[TASK_EVENTS] = events;
  task[TASK_CONTEXTS] = contexts;
  task[TASK_BULK] = bulk;
  return task;
}

/** The earliest `deadlineAt` among `calls`; `Infinity` when none has a deadline. */
export function earliestDeadline(calls: readonly PendingCall[]): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const call of calls) if (call.deadlineAt < earliest) earliest = call.deadlineAt;
  return earliest;
}

/** True when a call of the batch can be cancelled by its caller. */
export function hasSignal(calls: readonly PendingCall[]): boolean {
  for (const call of calls) if (call.signal !== null) return true;
  return false;
}
