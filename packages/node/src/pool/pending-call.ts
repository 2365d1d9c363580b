/**
 * One call waiting for its result, from `pool.call()` until it settles. Calls move between a function's
 * queue and an in-flight batch (and back, when the batch is re-run) and settle exactly once.
 */

import type { Envelope, EventDelivery } from '@lucent/core/internal';
import type { EffectsSink } from './call-effects.js';

/** Where a call is. Integer constants keep the field a small integer (monomorphic). */
export const CallState = { Queued: 0, Running: 1, Settled: 2 } as const;
export type CallState = (typeof CallState)[keyof typeof CallState];

/** What a call needs from its pool when the caller's signal fires. */
export interface CancelSink {
  cancel(call: PendingCall): void;
}

/**
 * A pending call. It is its own abort listener (`handleEvent`), so a call with a signal costs no closure.
 * Every field is set in the constructor so all calls share one shape.
 */
export class PendingCall {
  state: CallState = CallState.Queued;
  /** 1-based attempt number: the request's (a client retry's), then one more each time a worker crashes under it. */
  attempt = 1;
  /** Run alone in its next batch: set after a crash, so one poisonous call cannot take others down again. */
  isolated = false;
  /** The in-flight batch running the call (an opaque token for the pool), or `null` while queued. */
  batch: object | null = null;
  /** The durable event the call serves (`FunctionContext.event`), or `null`. */
  event: EventDelivery | null = null;
  /** The request the call serves (its context for `ctx`), or `null` for a direct pool call. */
  request: Envelope | null = null;
  /** Where the call's log records and emitted events go, or `null` (they are then dropped). */
  effects: EffectsSink | null = null;
  /** A bulk call: the input is an array of inputs, the value a `BatchOutcome` (see `protocol.ts`). */
  bulk = false;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;

  /**
   * Effective deadline (monotonic `clock.now()` time; `Infinity` = none): the caller's, tightened at each dispatch
   * by the function's own run-time limit. Past it the call fails with `TimeoutError`.
   */
  deadlineAt: number;
  /** The budget `deadlineAt` came from, reported in the `TimeoutError`. */
  timeoutMs: number;

  /**
   * @param callerDeadlineAt the caller's deadline (monotonic `clock.now()` time; `Infinity` = none), which also
   *   covers time spent waiting in the queue
   * @param callerTimeoutMs the caller's budget, reported in the `TimeoutError`
   */
  constructor(
    /** Name of the function called. */
    readonly target: string,
    readonly input: unknown,
    readonly callerDeadlineAt: number,
    readonly callerTimeoutMs: number,
    readonly signal: AbortSignal | null,
    readonly sink: CancelSink,
    resolve: (value: unknown) => void,
    reject: (reason: unknown) => void,
  ) {
    this.resolve = resolve;
    this.reject = reject;
    this.deadlineAt = callerDeadlineAt;
    this.timeoutMs = callerTimeoutMs;
  }

  /**
   * Sets the effective deadline for a run starting `now`: the earlier of the caller's deadline and
   * `now + runTimeoutMs` (0 = the function has no limit of its own). Each re-run gets a fresh run budget.
   */
  startRun(now: number, runTimeoutMs: number): void {
    if (runTimeoutMs > 0 && now + runTimeoutMs < this.callerDeadlineAt) {
      this.deadlineAt = now + runTimeoutMs;
      this.timeoutMs = runTimeoutMs;
    } else {
      this.deadlineAt = this.callerDeadlineAt;
      this.timeoutMs = this.callerTimeoutMs;
    }
  }

  /** The caller's `AbortSignal` fired. */
  handleEvent(): void {
    if (this.state !== CallState.Settled) this.sink.cancel(this);
  }

  /** Settles with a value. No-op when already settled. */
  succeed(value: unknown): void {
    if (this.state === CallState.Settled) return;
    this.#settle();
    this.resolve(value);
  }

  /** Settles with an error. No-op when already settled. */
  fail(error: unknown): void {
    if (this.state === CallState.Settled) return;
    this.#settle();
    this.reject(error);
  }

  #settle(): void {
    this.state = CallState.Settled;
    this.batch = null;
    if (this.signal !== null) this.signal.removeEventListener('abort', this);
  }
}
