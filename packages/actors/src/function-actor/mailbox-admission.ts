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
 * service time, a moving average of the time from one message's start to the next while a backlog exists (so it
 * is the actor's real throughput, waits on its store included). An actor that never had a backlog pays nothing
 * for it: no clock read, no field. Until a type was measured, a message counts as {@link UNMEASURED_SERVICE_MS}.
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

  /** Folds one start-to-start time (ms) into {@link serviceMs}. */
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

/**
 * Measures service times: the time from one message's start to the next message's start of the same actor,
 * taken only when the first left a backlog behind it (then the actor went straight on to the next one). One
 * per directory: the dispatcher runs one actor's backlog in a row, so one pending start is enough; when
 * another actor starts in between, that sample is skipped.
 */
export class BacklogTimer {
  readonly #clock: Clock;
  readonly #admissionOf: (type: string) => MailboxAdmission | undefined;
  /** The actor whose start is pending; `undefined` when none is. */
  #actor: TimedActor | undefined = undefined;
  #startedAt = 0;

  constructor(clock: Clock, admissionOf: (type: string) => MailboxAdmission | undefined) {
    this.#clock = clock;
    this.#admissionOf = admissionOf;
  }

  /** `actor` starts a message with `waiting` more behind it. */
  started(actor: TimedActor, waiting: number): void {
    if (waiting === 0 && this.#actor === undefined) return; // no backlog: nothing to measure, no clock read
    const now = this.#clock.now();
    if (this.#actor === actor) this.#admissionOf(actor.definition.type)?.observe(now - this.#startedAt);
    this.#actor = waiting > 0 ? actor : undefined;
    this.#startedAt = now;
  }
}
