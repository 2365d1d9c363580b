/**
 * An ask waiting for its reply, and the system-wide list of ask deadlines.
 *
 * Cost model: an ask allocates its promise and one `PendingAsk` (no closure: the promise executor is a single
 * module-level function). Deadlines are kept in one doubly linked list sorted by deadline, driven by ONE clock
 * timer armed for the earliest deadline, instead of a timer per ask. Asks with equal timeouts arrive in deadline
 * order, so insertion (scanning from the tail) is O(1) in practice and removal is always O(1).
 *
 * ```
 *  head ──> [ask d=100] <──> [ask d=105] <──> [ask d=130] <── tail       one clock timer armed at 100
 * ```
 */

import type { Clock, TimerHandle } from '@lucent/core/internal';
import { TimeoutError } from '@lucent/core/internal';

let capturing: PendingAsk | undefined;
function captureSettlers(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  const pending = capturing!;
  pending.resolveFn = resolve;
  pending.rejectFn = reject;
}
const noop = (): void => {};

/**
 * One ask. Settles exactly once: `resolve` and `reject` return false (and do nothing) once it has settled,
 * whether by reply, failure or deadline.
 */
export class PendingAsk {
  readonly promise: Promise<unknown>;
  resolveFn: (value: unknown) => void = noop;
  rejectFn: (error: unknown) => void = noop;
  settled = false;
  /** Clock time at which the ask times out; `Infinity` when it has no deadline. */
  deadline = Number.POSITIVE_INFINITY;
  prev: PendingAsk | null = null;
  next: PendingAsk | null = null;
  list: AskDeadlines | null = null;
  /** The asked message while it waits in a mailbox (the mailbox stores the ask in its place). */
  message: unknown = undefined;

  constructor(
    readonly target: string,
    readonly timeoutMs: number,
  ) {
    capturing = this;
    this.promise = new Promise(captureSettlers);
    capturing = undefined;
  }

  /** Fulfils the ask with `value`; false when it had already settled (the value is then the caller's to drop). */
  resolve(value: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.list?.remove(this);
    this.resolveFn(value);
    return true;
  }

  /** Rejects the ask with `error`; false when it had already settled. */
  reject(error: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.list?.remove(this);
    this.rejectFn(error);
    return true;
  }
}

/**
 * The deadlines of every pending ask of one system. An ask whose deadline passes is rejected with the core
 * `TimeoutError` when the clock timer fires (so with a simulated clock, exactly when time reaches it).
 */
export class AskDeadlines {
  private head: PendingAsk | null = null;
  private tail: PendingAsk | null = null;
  private timer: TimerHandle | null = null;
  private armedFor = Number.POSITIVE_INFINITY;
  private readonly onTimer: () => void;

  constructor(private readonly clock: Clock) {
    this.onTimer = () => this.expire();
  }

  /** Tracks `ask` until it settles; it times out `ask.timeoutMs` from now. A non-finite timeout is not tracked. */
  add(ask: PendingAsk): void {
    if (!Number.isFinite(ask.timeoutMs)) return;
    const deadline = this.clock.now() + ask.timeoutMs;
    ask.deadline = deadline;
    ask.list = this;
    let after = this.tail;
    while (after !== null && after.deadline > deadline) after = after.prev;
    ask.prev = after;
    ask.next = after === null ? this.head : after.next;
    if (ask.next === null) this.tail = ask;
    else ask.next.prev = ask;
    if (after === null) this.head = ask;
    else after.next = ask;
    if (deadline < this.armedFor) this.arm(deadline);
  }

  /** Stops tracking `ask` (idempotent). The armed timer is left alone: when it fires it re-arms for the head. */
  remove(ask: PendingAsk): void {
    if (ask.list !== this) return;
    if (ask.prev === null) this.head = ask.next;
    else ask.prev.next = ask.next;
    if (ask.next === null) this.tail = ask.prev;
    else ask.next.prev = ask.prev;
    ask.prev = null;
    ask.next = null;
    ask.list = null;
  }

  /** Asks being tracked (for tests and diagnostics). */
  get size(): number {
    let n = 0;
    for (let a = this.head; a !== null; a = a.next) n++;
    return n;
  }

  private arm(deadline: number): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = this.clock.setTimeout(this.onTimer, Math.max(0, deadline - this.clock.now()));
  }

  private expire(): void {
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    let ask = this.head;
    while (ask !== null && ask.deadline <= now) {
      const next = ask.next;
      ask.reject(new TimeoutError({ target: ask.target, timeoutMs: ask.timeoutMs }));
      ask = next;
    }
    if (this.head !== null) this.arm(this.head.deadline);
  }
}
