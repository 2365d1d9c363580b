/**
 * Requests waiting for their reply, matched by transport request id, with every deadline served by ONE timer.
 *
 * Requests with the same `timeoutMs` expire in the order they were sent (the clock is monotonic), so each
 * distinct timeout value keeps a doubly linked list that is already sorted by deadline:
 *
 * ```
 *  byTimeout: 5000 ─► [r1]⇄[r4]⇄[r7]     (deadline order = send order)
 *             200  ─► [r2]⇄[r3]
 *  timer armed at min(head deadlines)
 * ```
 * Add and remove are O(1) (a reply unlinks its entry); the timer is re-armed only when a new deadline is earlier
 * than the armed one, and when it fires it expires every due head and re-arms for the next. There is no
 * `setTimeout` closure and no `Error` per request; a `TimeoutError` is built only for a request that times out.
 */
import type { TimerHandle } from '@lucent/actors/internal';
import { appendEntry, type LinkedEnds, TimeoutError, unlinkEntry } from '@lucent/core/internal';
import { MAX_FRAME_ID } from './frames.js';
import { RequestSlots } from './request-slots.js';
import type { ReplyReceiver, TransportClock } from './transport.js';

/** One waiting request. Monomorphic: every field set in the constructor. */
class PendingRequest {
  prev: PendingRequest | null = null;
  next: PendingRequest | null = null;
  constructor(
    readonly id: number,
    readonly target: string,
    readonly timeoutMs: number,
    readonly deadline: number,
    readonly list: DeadlineList,
    /** Gets the outcome: a request promise's resolve/reject pair, or the caller's own receiver. */
    readonly receiver: ReplyReceiver,
    /** What the caller asked (a function name, an actor key): named in the `TimeoutError`. */
    readonly label: string,
  ) {}
}

/** Requests sharing one `timeoutMs`, oldest (earliest deadline) first. */
class DeadlineList implements LinkedEnds<PendingRequest> {
  constructor(readonly key: number) {}
  head: PendingRequest | null = null;
  tail: PendingRequest | null = null;

  push(entry: PendingRequest): void {
    appendEntry(this, entry);
  }

  unlink(entry: PendingRequest): void {
    unlinkEntry(this, entry);
  }
}

/** Empty deadline lists kept for reuse; past this many lists, an emptied one is dropped. */
const MAX_IDLE_LISTS = 16;

/** A Node timer's keep-alive switch (`Timeout.ref()`/`unref()`). */
interface RefableTimer {
  ref(): unknown;
  unref(): unknown;
}

/**
 * Default clock: `systemClock`'s times with Node timers that stay ref'd while requests wait, like a socket would
 * be (`systemClock` unrefs its timers).
 */
export const realClock: TransportClock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The table of pending requests of one connection. Not thread-safe (one event loop); settles each request
 * exactly once: by {@link PendingRequests.resolve}, by its deadline, or by {@link PendingRequests.rejectAll}.
 */
export class PendingRequests {
  readonly #clock: TransportClock;
  /** By id; not a `Map`, whose churn here made scavenges promote dead requests (see `request-slots.ts`). */
  readonly #byId = new RequestSlots<PendingRequest>(MAX_FRAME_ID);
  readonly #byTimeout = new Map<number, DeadlineList>();
  /** The list of the last timeout added to (nearly every caller uses one timeout): one Map lookup less per add. */
  #lastList: DeadlineList | undefined = undefined;
  #timer: TimerHandle | undefined = undefined;
  #armedAt = Number.POSITIVE_INFINITY;
  /** True while the table is empty and its Node timer is kept unref'd (see #idle). */
  #unrefed = false;
  readonly #onTimer: () => void;
  /** Requests that expired, for stats. */
  timeouts = 0;

  constructor(clock: TransportClock) {
    this.#clock = clock;
    this.#onTimer = () => this.#expire();
  }

  /** Requests waiting for a reply. */
  get size(): number {
    return this.#byId.size;
  }

  /**
   * Registers a request and returns its id (1..{@link MAX_FRAME_ID}, skipping ids still pending). `receiver` gets
   * its outcome, once; `label` (default `target`) names what was asked in the `TimeoutError`. A `timeoutMs` that
   * is not positive (or NaN) times out on the next timer turn; `Infinity` never times out.
   */
  add(target: string, timeoutMs: number, receiver: ReplyReceiver, label: string = target): number {
    // NaN or a non-positive timeout expires on the next timer turn instead of never; Infinity never expires.
    const timeout = Number.isNaN(timeoutMs) ? 0 : Math.max(timeoutMs, 0);
    const id = this.#byId.nextId();
    // Lists are keyed by whole milliseconds: callers that pass a fractional remaining budget share a list, and
    // an entry then waits at most 1 ms behind a predecessor whose deadline is a fraction later.
    const key = Math.ceil(timeout);
    let list = this.#lastList;
    if (list === undefined || list.key !== key) {
      list = this.#byTimeout.get(key);
      if (list === undefined) {
        list = new DeadlineList(key);
        this.#byTimeout.set(key, list);
      }
      this.#lastList = list;
    }
    const deadline = this.#clock.now() + timeout;
    const entry = new PendingRequest(id, target, timeout, deadline, list, receiver, label);
    list.push(entry);
    this.#byId.add(entry);
    if (deadline < this.#armedAt) this.#arm(deadline);
    else if (this.#unrefed) {
      (this.#timer as RefableTimer).ref();
      this.#unrefed = false;
    }
    return id;
  }

  /** Settles request `id` with `reply`. Returns `false` (and does nothing) for an unknown or settled id. */
  resolve(id: number, reply: Uint8Array): boolean {
    const entry = this.#take(id);
    if (entry === undefined) return false;
    entry.receiver.resolve(reply);
    return true;
  }

  /** Rejects request `id` with `error` (e.g. its frame could not be published). `false` if not pending. */
  reject(id: number, error: unknown): boolean {
    const entry = this.#take(id);
    if (entry === undefined) return false;
    entry.receiver.reject(error);
    return true;
  }

  /**
   * Rejects every pending request sent to `target` (and, with `andBelow`, to the subjects below it:
   * `<target>.<token>…`), each with its own error from `makeError` (callers may annotate the error they get), e.g.
   * when the wire says nobody subscribes `target`. Returns how many.
   */
  rejectTarget(target: string, makeError: () => unknown, andBelow = false): number {
    const entries: PendingRequest[] = [];
    for (const entry of this.#byId.values()) {
      if (entry.target === target || (andBelow && isBelow(entry.target, target))) entries.push(entry);
    }
    if (entries.length === 0) return 0;
    for (const entry of entries) this.#take(entry.id);
    for (const entry of entries) entry.receiver.reject(makeError());
    return entries.length;
  }

  /** Rejects every pending request with `error` and stops the timer. */
  rejectAll(error: unknown): void {
    const entries = this.#byId.values();
    for (const entry of entries) this.#take(entry.id);
    this.#disarm();
    for (const entry of entries) entry.receiver.reject(error);
  }

  #take(id: number): PendingRequest | undefined {
    const entry = this.#byId.take(id);
    if (entry === undefined) return undefined;
    this.#unlink(entry);
    // An idle table holds no timer that keeps the process alive (see #idle).
    if (this.#byId.size === 0) this.#idle();
    return entry;
  }

  #unlink(entry: PendingRequest): void {
    const list = entry.list;
    list.unlink(entry);
    // Many distinct timeouts (remaining budgets) would otherwise leave empty lists behind for the sweep to visit.
    if (list.head === null && this.#byTimeout.size > MAX_IDLE_LISTS) {
      this.#byTimeout.delete(list.key);
      if (this.#lastList === list) this.#lastList = undefined;
    }
  }

  #arm(deadline: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#armedAt = deadline;
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(0, deadline - this.#clock.now()));
    this.#unrefed = false;
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    this.#unrefed = false;
  }

  /**
   * The table just emptied. A Node timer is kept but unref'd (it no longer holds the process open), and ref'd
   * again by the next `add`: a caller that sends one request at a time would otherwise pay a setTimeout and a
   * clearTimeout per request (~3 µs, more than the rest of the request table; node/peers' profile), against
   * tens of ns for the toggle. Its late firing finds nothing due and re-arms for the next deadline, if any.
   * Timers without `unref` (a simulated clock) are cleared as before.
   */
  #idle(): void {
    const timer = this.#timer as Partial<RefableTimer> | undefined;
    if (timer === undefined || typeof timer.unref !== 'function') {
      this.#disarm();
      return;
    }
    timer.unref();
    this.#unrefed = true;
  }

  #expire(): void {
    this.#timer = undefined;
    this.#unrefed = false;
    this.#armedAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    let nextDeadline = Number.POSITIVE_INFINITY;
    for (const list of this.#byTimeout.values()) {
      let head = list.head;
      while (head !== null && head.deadline <= now) {
        this.#byId.take(head.id);
        this.#unlink(head);
        this.timeouts++;
        head.receiver.reject(new TimeoutError({ target: head.label, timeoutMs: head.timeoutMs }));
        head = list.head;
      }
      if (head !== null && head.deadline < nextDeadline) nextDeadline = head.deadline;
    }
    // A reject callback may have added a request (and armed the timer) meanwhile; keep the earlier deadline.
    if (nextDeadline < this.#armedAt) this.#arm(nextDeadline);
  }
}

/** True when `subject` is `<parent>.<something>`. */
function isBelow(subject: string, parent: string): boolean {
  return subject.length > parent.length + 1 && subject.charCodeAt(parent.length) === 46 && subject.startsWith(parent);
}
