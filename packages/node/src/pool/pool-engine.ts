/**
 * The moving parts of the function pool: lanes, the pump that cuts batches, and what happens to a batch's
 * calls on a result, a crash, a deadline or a cancel. `createFunctionPool` builds one; see there for the
 * semantics.
 */
import {
  CancelledError,
  type Clock,
  errorFromWire,
  ShuttingDownError,
  systemClock,
  TimeoutError,
  UnknownFunctionError,
  WorkerCrashedError,
} from '@lucent/core/internal';
import { keepProcessAlive } from '../keep-alive.js';
import { WallTime } from '../wall-time.js';
import { DEFAULT_MAX_QUEUED_CALLS, queueFullError, retryAfterMs } from './admission.js';
import { type BatchLimits, earliestDeadline, hasSignal, nextBatchSize, toBatchTask } from './batcher.js';
import { asPromise } from './call-now.js';
import { DeadlineTimer } from './deadline-timer.js';
import type { CallOptions, FunctionPool, FunctionPoolStats } from './function-pool.js';
import type { InlineRunLimits, InlineVerdict } from './inline-run-budget.js';
import { Batch, type Lane } from './lane.js';
import { type InlineRunContext, MainThreadRunner } from './main-thread-runner.js';
import { CallState, type CancelSink, PendingCall } from './pending-call.js';
import {
  type BatchErrors,
  type BatchResult,
  type BatchTask,
  type CallEffects,
  RESULT_EFFECTS,
  RESULT_ERRORS,
  RESULT_RUN_MS,
  RESULT_VALUES,
} from './protocol.js';
import { ReadyLanes } from './ready-lanes.js';
import { TaskAbortHandle } from './task-abort-handle.js';

/**
 * What the engine needs from piscina (a port, so tests can drive the engine with an in-process twin).
 * `run` settles with the worker's {@link BatchResult}, or rejects when the worker died or `signal` aborted.
 */
export interface TaskRunner {
  run(task: BatchTask, options?: { signal: TaskAbortHandle }): Promise<BatchResult>;
  /** Errors of workers that died without a task. */
  on(event: 'error', listener: (error: unknown) => void): unknown;
  /** Share of the threads' time spent running tasks, in [0, 1]. */
  readonly utilization: number;
  /** Terminates the workers; pending tasks reject. */
  destroy(): Promise<void>;
}

/** Limits of a {@link PoolEngine}. */
export interface EngineLimits extends BatchLimits {
  readonly maxTasksInFlight: number;
  readonly closeTimeoutMs: number;
  /** Calls that may wait in the pool; past it `call` rejects with `OverloadedError`. Default {@link DEFAULT_MAX_QUEUED_CALLS}. */
  readonly maxQueuedCalls?: number;
  /** Run `cpu: 'low'` functions on this thread while they stay cheap (`main-thread-runner.ts`). Default true. */
  readonly inlineLowCpu?: boolean;
  /** The inline budget. Default `DEFAULT_INLINE_RUN_LIMITS`. */
  readonly inlineLimits?: InlineRunLimits;
  /** `ctx.shard` and the log threshold of inline runs, as the workers have them. */
  readonly inlineContext?: InlineRunContext;
}

/** What the engine reports to its owner. */
export interface EngineEvents {
  /** A `cpu: 'low'` function turned slow on the main thread and now runs in the workers (once per function). */
  readonly onInlineMoved?: (name: string, verdict: InlineVerdict) => void;
}

/** Handler runs in `calls`: a bulk call counts its elements, so its run time does not inflate the per-call estimate. */
function runCount(calls: readonly PendingCall[]): number {
  let count = 0;
  for (const call of calls) count += call.bulk && Array.isArray(call.input) ? Math.max(1, call.input.length) : 1;
  return count;
}

/** The pool implementation. Single-threaded: every method runs on the main thread's event loop. */
export class PoolEngine implements FunctionPool, CancelSink {
  readonly functions: readonly string[];
  readonly #piscina: TaskRunner;
  readonly #lanes: Map<string, Lane>;
  readonly #limits: EngineLimits;
  /**
   * Lanes with queued calls: higher priorities first, round robin within one so a busy function cannot starve
   * a quiet one of its class.
   */
  readonly #ready = new ReadyLanes<Lane>();
  readonly #maxQueued: number;
  readonly #onInlineMoved: ((name: string, verdict: InlineVerdict) => void) | null;
  readonly #inFlight = new Set<Batch>();
  /** Unaborted abort handles of finished batches, for reuse (a stack). */
  readonly #abortHandles: TaskAbortHandle[] = [];
  /** Crashed calls waiting out their retry backoff. */
  readonly #backingOff = new Set<PendingCall>();
  #pumpScheduled = false;
  readonly #clock: Clock;
  /**
   * Wall time of a `now()` already read: callers' epoch-ms deadlines are read against it, and batch deadlines
   * become the epoch ms workers get (each worker has its own `performance.now()` origin).
   */
  readonly #wallTime: WallTime;
  readonly #deadlines: DeadlineTimer;
  #closing: Promise<void> | null = null;
  #onIdle: (() => void) | null = null;
  readonly #pumpNow = (): void => this.#pump();
  // Counters (see FunctionPoolStats).
  #calls = 0;
  #batches = 0;
  #reruns = 0;
  #retries = 0;
  #crashes = 0;
  #timeouts = 0;
  #queued = 0;
  #overloaded = 0;
  #inlineCalls = 0;

  /**
   * @param clock time of deadlines (monotonic `now()`; a caller's epoch-ms `deadline` is read against
   *   `wallNow()`), of retry backoffs and of the close timeout. Default `systemClock`.
   */
  constructor(
    piscina: TaskRunner,
    lanes: Map<string, Lane>,
    limits: EngineLimits,
    clock: Clock = systemClock,
    events: EngineEvents = {},
  ) {
    this.#piscina = piscina;
    this.#lanes = lanes;
    this.#limits = limits;
    this.#clock = clock;
    this.#maxQueued = limits.maxQueuedCalls ?? DEFAULT_MAX_QUEUED_CALLS;
    this.#onInlineMoved = events.onInlineMoved ?? null;
    if (limits.inlineLowCpu !== false) {
      const now = (): number => clock.now();
      for (const lane of new Set(lanes.values())) {
        if (!MainThreadRunner.suits(lane.definition)) continue;
        lane.inline = new MainThreadRunner(lane.definition, now, limits.inlineLimits, limits.inlineContext);
        lane.release = () => this.#releaseInline(lane);
      }
    }
    this.#wallTime = new WallTime(clock);
    this.#deadlines = new DeadlineTimer(() => this.expireLateBatches(), clock);
    this.functions = [...lanes.keys()];
    // A worker that dies with no task on it is reported as an 'error' event; unhandled, it would throw.
    piscina.on('error', () => {
      this.#crashes++;
    });
  }

  call<O = unknown>(name: string, input: unknown, options?: CallOptions): Promise<O> {
    return asPromise<O>(this.callNow(name, input, options));
  }

  /**
   * {@link call}, but a `cpu: 'low'` function's synchronous inline run answers with its value itself (no promise,
   * no microtask before the caller can reply); everything else, failures included, answers with a promise.
   */
  callNow(name: string, input: unknown, options?: CallOptions): unknown {
    const lane = this.#lanes.get(name);
    if (lane === undefined) return Promise.reject(new UnknownFunctionError({ name }));
    if (this.#closing !== null) return Promise.reject(new ShuttingDownError({ node: 'function pool' }));
    const signal = options?.signal ?? null;
    if (signal?.aborted) return Promise.reject(new CancelledError({ target: name }));
    // One clock read for the call: the deadline's wall time is derived from it (`wall-time.ts`).
    const now = this.#clock.now();
    // The caller's budget covers queueing too; the function's own limit applies per run (see #start).
    let timeoutMs = Number.POSITIVE_INFINITY;
    if (options !== undefined) {
      if (options.timeoutMs !== undefined && options.timeoutMs < timeoutMs) timeoutMs = options.timeoutMs;
      if (options.deadline !== undefined) {
        const left = options.deadline - this.#wallTime.at(now);
        if (left < timeoutMs) timeoutMs = Math.max(0, left);
      }
    }
    // A bulk call (gather) runs element by element in a worker; inline runs take one input.
    if (lane.inline !== null && lane.running < lane.maxConcurrency && options?.bulk !== true) {
      return this.#runInline(lane, input, now, timeoutMs, options);
    }
    if (this.#queued >= this.#maxQueued) {
      this.#overloaded++;
      const retryAfter = retryAfterMs(this.#queued, lane.estimator.perCallMs, this.#limits.maxTasksInFlight);
      return Promise.reject(queueFullError(name, this.#queued, this.#maxQueued, retryAfter));
    }
    const deadlineAt = timeoutMs === Number.POSITIVE_INFINITY ? timeoutMs : now + timeoutMs;
    this.#calls++;
    return new Promise((resolve, reject) => {
      const call = new PendingCall(name, input, deadlineAt, timeoutMs, signal, this, resolve, reject);
      if (options !== undefined) {
        if (options.event !== undefined) call.event = options.event;
        const request = options.request;
        if (request !== undefined) {
          call.request = request;
          // A client's retry carries its attempt number: the pool's own re-runs count on from it.
          if (request.attempt !== undefined) call.attempt = request.attempt;
        }
        if (options.effects !== undefined) call.effects = options.effects;
        if (options.bulk === true) call.bulk = true;
      }
      if (signal !== null) signal.addEventListener('abort', call);
      this.#enqueue(lane, call);
    });
  }

  stats(): FunctionPoolStats {
    return {
      calls: this.#calls,
      batches: this.#batches,
      reruns: this.#reruns,
      retries: this.#retries,
      crashes: this.#crashes,
      timeouts: this.#timeouts,
      overloaded: this.#overloaded,
      inlineCalls: this.#inlineCalls,
      queueDepth: this.#queued,
      tasksInFlight: this.#inFlight.size,
      utilization: this.#piscina.utilization,
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /**
   * Gives the pool up at once (its workers cannot start): every queued, backing-off and running call fails
   * with `error` now, new calls reject with `ShuttingDownError`, and the workers are terminated. Returns the
   * same promise as `close()` (idempotent; after `close()` began it only returns that).
   */
  abandon(error: Error): Promise<void> {
    this.#closing ??= this.#failAllAndDestroy(error);
    return this.#closing;
  }

  /** Called by a {@link PendingCall} whose signal fired. */
  cancel(call: PendingCall): void {
    const batch = call.batch as Batch | null;
    const target = call.target;
    if (batch === null) {
      // Queued (or backing off): settle now; the pump drops settled calls when it reaches them.
      this.#backingOff.delete(call);
      this.#queued--;
      call.fail(new CancelledError({ target }));
      this.#notifyIfIdle();
      return;
    }
    this.#abort(batch, call, new CancelledError({ target }));
  }

  /**
   * The deadline timer fired: aborts every running batch holding a call past its deadline (the late calls
   * fail, the rest re-run), then re-arms the timer for the earliest deadline still running.
   */
  expireLateBatches(): void {
    const now = this.#clock.now();
    for (const batch of [...this.#inFlight]) {
      if (batch.earliestAt > now) continue;
      let late: PendingCall | null = null;
      for (const call of batch.calls) if (call.deadlineAt <= now) late = call;
      if (late !== null) this.#abort(batch, late, null);
    }
    for (const batch of this.#inFlight) this.#deadlines.arm(batch.earliestAt);
  }

  /**
   * Runs a call of a `cpu: 'low'` function on this thread (see `main-thread-runner.ts`); the run that exhausts its
   * budget moves the function to the workers for the pool's life, with one report to the owner. Returns the value
   * itself when the run was synchronous, else a promise (see {@link callNow}).
   * @param now the clock's `now()` of this call
   * @param timeoutMs the caller's budget (`Infinity` = none); the function's own limit tightens it
   */
  #runInline(lane: Lane, input: unknown, now: number, timeoutMs: number, options: CallOptions | undefined): unknown {
    const runner = lane.inline!;
    this.#calls++;
    this.#inlineCalls++;
    if (timeoutMs <= 0) {
      this.#timeouts++;
      return Promise.reject(new TimeoutError({ target: lane.name, timeoutMs }));
    }
    const budgetMs = lane.timeoutMs > 0 && lane.timeoutMs < timeoutMs ? lane.timeoutMs : timeoutMs;
    const deadline = budgetMs === Number.POSITIVE_INFINITY ? 0 : this.#wallTime.at(now) + budgetMs;
    lane.running++;
    const outcome = runner.run(input, deadline, options);
    // A synchronous run is over; an async one holds its maxConcurrency slot until it settles.
    if (runner.ranAsync) (outcome as Promise<unknown>).then(lane.release, lane.release);
    else lane.running--;
    if (runner.verdict !== null) {
      lane.inline = null;
      this.#onInlineMoved?.(lane.name, runner.verdict);
    }
    return outcome;
  }

  /** An async inline run settled: its `maxConcurrency` slot is free, so calls queued behind it may go. */
  #releaseInline(lane: Lane): void {
    lane.running--;
    if (!lane.ready && lane.queue.size > 0) {
      lane.ready = true;
      this.#ready.push(lane);
      this.#schedulePump();
    }
  }

  #enqueue(lane: Lane, call: PendingCall): void {
    lane.queue.push(call);
    this.#queued++;
    if (!lane.ready) {
      lane.ready = true;
      this.#ready.push(lane);
    }
    this.#schedulePump();
  }

  /**
   * Pumps on a microtask: calls made in the same synchronous run (one tick) join one batch, and a lone call
   * waits one microtask. In a (noisy) comparison `setImmediate` gave about half the 10k-in-flight throughput
   * and a higher 1-in-flight p50; sending an idle pool's first call synchronously showed no latency gain and
   * split every burst into 1 + the rest.
   */
  #schedulePump(): void {
    if (this.#pumpScheduled || this.#queued === 0 || this.#inFlight.size >= this.#limits.maxTasksInFlight) return;
    this.#pumpScheduled = true;
    queueMicrotask(this.#pumpNow);
  }

  /** Cuts and starts batches while there are queued calls and free task slots. */
  #pump(): void {
    this.#pumpScheduled = false;
    while (this.#inFlight.size < this.#limits.maxTasksInFlight && this.#ready.size > 0) {
      const lane = this.#ready.shift()!;
      if (lane.running >= lane.maxConcurrency) {
        lane.ready = false; // back in the ring when one of its batches finishes (#finish)
        continue;
      }
      // One clock read per batch: its calls' deadlines are checked and their run budgets start at it.
      const now = this.#clock.now();
      const calls = this.#cut(lane, now);
      if (lane.queue.size > 0) this.#ready.push(lane);
      else lane.ready = false;
      if (calls.length > 0) this.#start(lane, calls, now);
    }
    this.#notifyIfIdle();
  }

  /** Takes the next batch off `lane`, failing calls already past their deadline on the way. */
  #cut(lane: Lane, now: number): PendingCall[] {
    const queue = lane.queue;
    const size = Math.min(
      nextBatchSize(queue.size, lane.estimator.perCallMs, this.#limits),
      lane.maxConcurrency - lane.running,
    );
    const calls: PendingCall[] = [];
    while (calls.length < size && queue.size > 0) {
      const call = queue.peek()!;
      if (call.state === CallState.Settled) {
        queue.shift(); // cancelled while queued; already counted out of #queued
        continue;
      }
      if (call.isolated && calls.length > 0) break;
      queue.shift();
      this.#queued--;
      if (call.callerDeadlineAt <= now) {
        this.#timeouts++;
        call.fail(new TimeoutError({ target: lane.name, timeoutMs: call.callerTimeoutMs }));
        continue;
      }
      calls.push(call);
      if (call.isolated) break;
    }
    return calls;
  }

  #start(lane: Lane, calls: PendingCall[], now: number): void {
    if (lane.timeoutMs > 0) {
      // The run budget starts at dispatch, so it also covers the wait in piscina's queue for a worker (at most
      // the batches ahead of it, or a worker's start-up after a crash).
      for (const call of calls) call.startRun(now, lane.timeoutMs);
    }
    const task = toBatchTask(lane.id, calls, this.#wallTime.at(now) - now);
    const earliest = earliestDeadline(calls);
    const abortHandle = earliest !== Number.POSITIVE_INFINITY || hasSignal(calls) ? this.#takeAbortHandle() : null;
    const batch = new Batch(lane, calls, abortHandle, earliest);
    for (const call of calls) {
      call.state = CallState.Running;
      call.batch = batch;
    }
    this.#inFlight.add(batch);
    lane.running += calls.length;
    this.#batches++;
    const run = abortHandle === null ? this.#piscina.run(task) : this.#piscina.run(task, { signal: abortHandle });
    run.then(
      (result: BatchResult) => this.#onResult(batch, result),
      (error: unknown) => this.#onCrash(batch, error),
    );
    if (earliest !== Number.POSITIVE_INFINITY) this.#deadlines.arm(earliest);
  }

  /** Marks `batch` decided and frees its task slot. False when it already was. */
  #finish(batch: Batch): boolean {
    if (batch.settled) return false;
    batch.settled = true;
    this.#inFlight.delete(batch);
    const lane = batch.lane;
    lane.running -= batch.calls.length;
    // A lane at its maxConcurrency left the ready ring with calls still queued: it may go again now.
    if (!lane.ready && lane.queue.size > 0) {
      lane.ready = true;
      this.#ready.push(lane);
    }
    this.#schedulePump();
    return true;
  }

  /** With a function's default 30 s timeout every batch needs a handle; reusing them keeps that off the hot path. */
  #takeAbortHandle(): TaskAbortHandle {
    return this.#abortHandles.pop() ?? new TaskAbortHandle();
  }

  /** Keeps the batch's handle for another batch once piscina is done with it (it removes its listener first). */
  #recycle(batch: Batch): void {
    const handle = batch.abortHandle;
    if (handle?.reusable && this.#abortHandles.length < this.#limits.maxTasksInFlight) this.#abortHandles.push(handle);
  }

  #onResult(batch: Batch, result: BatchResult): void {
    if (!this.#finish(batch)) return;
    this.#recycle(batch);
    const { calls, lane } = batch;
    lane.estimator.record(result[RESULT_RUN_MS] as number, runCount(calls));
    const errors = result[RESULT_ERRORS] as BatchErrors | null;
    const effects = result[RESULT_EFFECTS] as (CallEffects | null)[] | null;
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i]!;
      const wire = errors === null ? null : errors[i];
      const said = effects === null ? null : effects[i];
      if (said !== null && said !== undefined && call.effects !== null && call.request !== null) {
        call.effects.settled(call.request, lane.name, said[0], said[1], wire === null || wire === undefined);
      }
      if (wire === null || wire === undefined) call.succeed(result[RESULT_VALUES + i]);
      else call.fail(errorFromWire(wire));
    }
    this.#notifyIfIdle();
  }

  /** The task failed without us aborting it: the worker died (or could not load the modules). */
  #onCrash(batch: Batch, error: unknown): void {
    if (!this.#finish(batch)) return;
    this.#recycle(batch);
    this.#crashes++;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const { calls, lane } = batch;
    // Back to the front in the original order: walk backwards and unshift.
    for (let i = calls.length - 1; i >= 0; i--) {
      const call = calls[i]!;
      if (call.attempt >= lane.maxAttempts) {
        call.fail(new WorkerCrashedError({ name: lane.name, reason }));
        continue;
      }
      call.attempt++;
      call.isolated = true;
      this.#retries++;
      const delayMs = lane.retryDelayMs(call.attempt);
      if (delayMs > 0) this.#retryLater(lane, call, delayMs);
      else this.#requeueFront(lane, call);
    }
    this.#notifyIfIdle();
  }

  /**
   * Aborts a running batch for one call: `culprit` fails with `error` (or `TimeoutError` when `null`, along
   * with every other call already past its deadline); the others go back to the front of the queue.
   */
  #abort(batch: Batch, culprit: PendingCall, error: Error | null): void {
    if (!this.#finish(batch)) return;
    const now = this.#clock.now();
    const { calls, lane } = batch;
    for (let i = calls.length - 1; i >= 0; i--) {
      const call = calls[i]!;
      if (call === culprit && error !== null) {
        call.fail(error);
      } else if (error === null && call.deadlineAt <= now) {
        this.#timeouts++;
        call.fail(new TimeoutError({ target: lane.name, timeoutMs: call.timeoutMs }));
      } else {
        this.#reruns++;
        this.#requeueFront(lane, call);
      }
    }
    // Terminates the worker running the task; piscina starts a fresh one. The rejection is ours: ignored.
    batch.abortHandle?.abort();
    this.#notifyIfIdle();
  }

  /** Holds a crashed call for its retry backoff; it counts as queued meanwhile (close waits for it). */
  #retryLater(lane: Lane, call: PendingCall, delayMs: number): void {
    call.state = CallState.Queued;
    call.batch = null;
    this.#queued++;
    this.#backingOff.add(call);
    // Rare (a crash with a backoff): one closure per retried call is fine here.
    keepProcessAlive(this.#clock.setTimeout(() => this.retryDue(lane, call), delayMs));
  }

  /** A crashed call's backoff is over. */
  retryDue(lane: Lane, call: PendingCall): void {
    // Gone from the set when it was cancelled or the pool closed meanwhile.
    if (!this.#backingOff.delete(call)) return;
    this.#queued--;
    this.#requeueFront(lane, call);
  }

  #requeueFront(lane: Lane, call: PendingCall): void {
    call.state = CallState.Queued;
    call.batch = null;
    lane.queue.unshift(call);
    this.#queued++;
    if (!lane.ready) {
      lane.ready = true;
      this.#ready.push(lane);
    }
    this.#schedulePump();
  }

  #notifyIfIdle(): void {
    if (this.#onIdle !== null && this.#queued === 0 && this.#inFlight.size === 0) this.#onIdle();
  }

  async #close(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = keepProcessAlive(this.#clock.setTimeout(resolve, this.#limits.closeTimeoutMs));
      this.#onIdle = () => {
        this.#clock.clearTimeout(timer);
        resolve();
      };
      this.#notifyIfIdle();
    });
    this.#onIdle = null;
    await this.#failAllAndDestroy(new ShuttingDownError({ node: 'function pool' }));
  }

  async #failAllAndDestroy(error: Error): Promise<void> {
    for (const batch of [...this.#inFlight]) {
      this.#finish(batch);
      for (const call of batch.calls) call.fail(error);
    }
    for (const call of this.#backingOff) call.fail(error);
    this.#backingOff.clear();
    for (const lane of this.#lanes.values()) {
      for (let call = lane.queue.shift(); call !== undefined; call = lane.queue.shift()) call.fail(error);
    }
    this.#queued = 0;
    this.#deadlines.cancel();
    await this.#piscina.destroy();
  }
}
