/**
 * Admission to a function actor's mailbox: each activation holds at most `maxMailboxSize` messages waiting (the
 * definition's, else the directory's default), and an ask or tell that finds it full is refused at once with
 * `OverloadedError` instead of being queued behind a backlog the actor cannot clear.
 *
 * ```
 *  ask/tell ─► activation ─► waiting < max ──► kernel mailbox ─► receive ─► backlog timer (only while a backlog exists)
 *                               └─ full ─────► OverloadedError { retryAfterMs ≈ waiting × service time }
 * ```
 * The retry-after is the time the backlog likely takes to drain: the messages waiting times the type's measured
 * service time, a moving average of the time per message while an actor works through a backlog (so it is the
 * actor's real throughput, waits on its store included; {@link BacklogTimer}). An actor that never had a backlog
 * pays nothing for it: no clock read, no field. Until a type was measured, a message counts as
 * {@link UNMEASURED_SERVICE_MS}.
 *
 * Control messages (persist and idle ticks, stop) are not admitted here: they go straight to the kernel
 * mailbox, which stays unbounded, so a full mailbox never loses a save or a stop.
 */
import { type Clock, OverloadedError } from '@lucent/core/internal';

/** Default `maxMailboxSize` of a directory (and of a node: `--actor-mailbox-size`). */
export const DEFAULT_MAX_MAILBOX_SIZE = 1000;

/** Service time per message assumed before a type was measured (ms). */
export const UNMEASURED_SERVICE_MS = 1;

/** Weight of a new sample in the moving average of the service time. */
const SMOOTHING = 0.2;

/** Never suggest waiting less than this (ms), nor more than {@link MAX_RETRY_AFTER_MS}. */
const MIN_RETRY_AFTER_MS = 1;
const MAX_RETRY_AFTER_MS = 60_000;

/** The measured service time of one actor type, and the refusals it words. One per type and directory. */
export class MailboxAdmission {
  /** Moving average of the time per message while a backlog exists (ms); 0 until measured. */
  serviceMs = 0;

  constructor(readonly type: string) {}

  /** Folds one measured time per message (ms) into {@link serviceMs}. */
  observe(ms: number): void {
    if (!(ms >= 0)) return;
    this.serviceMs = this.serviceMs === 0 ? ms : this.serviceMs + SMOOTHING * (ms - this.serviceMs);
  }

  /** How long `waiting` messages likely take to drain: whole ms, within [1, 60 000]. */
  retryAfterMs(waiting: number): number {
    const perMessage = this.serviceMs > 0 ? this.serviceMs : UNMEASURED_SERVICE_MS;
    return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, Math.ceil(waiting * perMessage)));
  }

  /** The refusal of a message to actor `id` of this type, whose mailbox holds `waiting` of `limit` messages. */
  refusal(id: string, waiting: number, limit: number): OverloadedError {
    return new OverloadedError({
      target: `${this.type}/${id}`,
      reason: `the actor's mailbox is full (${waiting} of ${limit} messages waiting)`,
      retryAfterMs: this.retryAfterMs(waiting),
    });
  }
}

/** An activation as the {@link BacklogTimer} sees it. */
export interface TimedActor {
  readonly definition: { readonly type: string };
}

/** Messages of one backlog timed together: the clock is read once per run of this many (and at a backlog's end). */
export const SERVICE_SAMPLE = 32;

/**
 * Measures service times: while an actor works through a backlog (it goes straight from one message to the next),
 * the time from the start of a run of messages to the start of the message after them, divided by their number.
 * The clock is read when a backlog starts, every {@link SERVICE_SAMPLE} messages, and when it ends, not per message
 * (a burst of 1000 told messages costs ~33 reads). One per directory: the dispatcher runs one actor's backlog in a
 * row; when another actor starts in between, the run being timed is dropped.
 */
export class BacklogTimer {
  readonly #clock: Clock;
  readonly #admissionOf: (type: string) => MailboxAdmission | undefined;
  /** The actor whose run is being timed; `undefined` when none is. */
  #actor: TimedActor | undefined = undefined;
  #startedAt = 0;
  /** Messages of the run that have finished (started, and the actor went on to the next). */
  #count = 0;

  constructor(clock: Clock, admissionOf: (type: string) => MailboxAdmission | undefined) {
    this.#clock = clock;
    this.#admissionOf = admissionOf;
  }

  /** `actor` starts a message with `waiting` more behind it. */
  started(actor: TimedActor, waiting: number): void {
    if (actor === this.#actor) {
      const count = ++this.#count;
      if (waiting > 0 && count < SERVICE_SAMPLE) return;
      const now = this.#clock.now();
      this.#admissionOf(actor.definition.type)?.observe((now - this.#startedAt) / count);
      this.#startedAt = now;
      this.#count = 0;
      if (waiting === 0) this.#actor = undefined;
      return;
    }
    if (waiting === 0) {
      this.#actor = undefined; // no backlog: nothing to time, no clock read
      return;
    }
    this.#actor = actor;
    this.#startedAt = this.#clock.now();
    this.#count = 0;
  }
}
