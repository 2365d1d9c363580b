/**
 * Fires the reminders of the partitions this node owns: one clock timer for the earliest one, a bounded window
 * of the next due in memory (`DueWindow`), the rest paged from the store.
 *
 * ```
 *  owned partitions ──watch──► put/removed ──► DueWindow (≤ capacity·1.25, cutoff) ──► one timer (earliest)
 *                                                   ▲                                        │ due
 *                     rescan when it runs low ──────┘              takeDue(now, free slots) ◄┘
 *  deliver(event + reminder: { name, scheduledAt }) ── acknowledged ──► one-shot: FiredLedger of its partition
 *         │ (≤ maxInFlight at once)                       │            └─► periodic: reschedule (next period)
 *         │                                               └─ every purgeIntervalMs: purgeBelow(p, purge point)
 *         │                                                  (one operation for a run of fired ones), or ack one
 *         │                                                  by one those held past maxUnpurgedMs
 *         └── failed ──► back in the window after a backoff (at least once: the record stays stored meanwhile)
 * ```
 * At least once: a record leaves the store only after the actor acknowledged it, so a node killed mid-delivery,
 * or before its next purge, leaves it to the next owner, which delivers it again with the same message id
 * (`reminder/<key>/<revision>`): the actor's dedup window (its last N message ids, stored with its state) drops
 * the duplicate. Why purges: a delete per fired reminder was one server operation per trigger, which capped the
 * rate far below the goal; a purge below a revision removes a run of them at once (see {@link FiredLedger}).
 *
 * Ownership: `setOwned` is called with the partitions this node owns now (ring changes); partitions lost are
 * dropped from the window (their deliveries in flight finish), partitions gained are scanned into it.
 */
import { type Clock, DueWindow, nextPeriodicDue, type TimerHandle, type WindowEntry } from '@lucent/core/internal';
import { FiredLedger } from './fired-ledger.js';
import type { PartitionWatch, ReminderStore, StoredReminder } from './reminder-store.js';

/** Delivers a reminder's event to its actor; resolves once the actor acknowledged it (its ask answered). */
export type ReminderDelivery = (reminder: StoredReminder, event: object, messageId: string) => Promise<unknown>;

export interface ReminderSchedulerOptions {
  readonly store: ReminderStore;
  readonly clock: Clock;
  readonly deliver: ReminderDelivery;
  /** Reminders kept in memory after paging (default 10 000; the window holds at most 1.25× this). */
  readonly windowCapacity?: number;
  /**
   * Deliveries at once (default 256); more due ones wait in the window. Bounds what a burst of due reminders puts
   * on the actors at once, so deliveries do not time out in queues and come back as retries.
   */
  readonly maxInFlight?: number;
  /** First retry pause of a failed delivery (default 100 ms), doubling up to `retryMaxMs` (default 30 000). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** How often fired one-shots are purged from the store (default 100 ms): what a crash may deliver again. */
  readonly purgeIntervalMs?: number;
  /**
   * A fired one-shot that no purge took within this (a live record stored before it holds the purge point back) is
   * acked on its own (default 2 000 ms); so is the oldest past `maxUnpurged` fired per partition (default 4 096).
   */
  readonly maxUnpurgedMs?: number;
  readonly maxUnpurged?: number;
  /** A delivery, ack or watch failed (for logs); the scheduler retries by itself. */
  readonly onError?: (error: unknown, what: string, reminder: StoredReminder | undefined) => void;
  /** A reminder was delivered and acknowledged, `delayMs` after it was due (for metrics and the bench). */
  readonly onFired?: (reminder: StoredReminder, delayMs: number) => void;
}

/** A reminder waiting in the window: fire at `dueAt` (its due time, or later after a failed attempt). */
interface Pending extends WindowEntry {
  readonly reminder: StoredReminder;
  readonly attempt: number;
}

/**
 * One partition's watch. A slot, not the watch itself, identifies it: a store may report synchronously, from
 * inside `watch()`, before the watch handle exists.
 */
class WatchSlot {
  watch: PartitionWatch | undefined = undefined;
  stopped = false;

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
  }
}

/** Counters, for tests, metrics and the bench. */
export interface ReminderSchedulerStats {
  readonly owned: number;
  readonly scanning: number;
  /** Reminders in memory (the window). */
  readonly inWindow: number;
  readonly inFlight: number;
  readonly fired: number;
  readonly failures: number;
  readonly rescans: number;
  /** Fired one-shots still stored, waiting for a purge or an ack. */
  readonly unpurged: number;
  /** Store operations that removed fired one-shots: purges (each a run of them) and one-by-one acks. */
  readonly purges: number;
  readonly acks: number;
}

const WATCH_RETRY_MS = 1_000;
const WATCH_RETRY_MAX_MS = 30_000;

/** See the module doc. */
export class ReminderScheduler {
  readonly #store: ReminderStore;
  readonly #clock: Clock;
  readonly #deliver: ReminderDelivery;
  readonly #maxInFlight: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #purgeIntervalMs: number;
  readonly #maxUnpurgedMs: number;
  readonly #maxUnpurged: number;
  readonly #onError: ReminderSchedulerOptions['onError'];
  readonly #onFired: ReminderSchedulerOptions['onFired'];
  readonly #window: DueWindow<Pending>;
  readonly #watches = new Map<number, WatchSlot>();
  readonly #scanning = new Set<number>();
  /** Keys being delivered, with the record delivered: a scan that sees that revision again skips it. */
  readonly #inFlight = new Map<string, StoredReminder>();
  /** Per partition watched (kept across a re-watch; dropped with the partition). */
  readonly #ledgers = new Map<number, FiredLedger>();
  #purgeTimer: TimerHandle | undefined = undefined;
  #purges = 0;
  #acks = 0;
  /** Keys cancelled while being delivered: a failed delivery of one is not retried. */
  readonly #cancelledInFlight = new Set<string>();
  #timer: TimerHandle | undefined = undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;
  #fired = 0;
  #failures = 0;
  #rescans = 0;
  /** Watch failures in a row (reset by a watch that completes its scan), for the re-watch backoff. */
  #watchFailures = 0;

  constructor(options: ReminderSchedulerOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#deliver = options.deliver;
    this.#window = new DueWindow<Pending>({
      capacity: options.windowCapacity ?? 10_000,
      onEvict: (pending) => this.#ledgers.get(pending.reminder.partition)?.outside(pending.reminder.revision),
    });
    this.#maxInFlight = options.maxInFlight ?? 256;
    this.#retryMinMs = options.retryMinMs ?? 100;
    this.#retryMaxMs = options.retryMaxMs ?? 30_000;
    this.#purgeIntervalMs = options.purgeIntervalMs ?? 100;
    this.#maxUnpurgedMs = options.maxUnpurgedMs ?? 2_000;
    this.#maxUnpurged = options.maxUnpurged ?? 4_096;
    this.#onError = options.onError;
    this.#onFired = options.onFired;
  }

  get stats(): ReminderSchedulerStats {
    return {
      owned: this.#watches.size,
      scanning: this.#scanning.size,
      inWindow: this.#window.size,
      inFlight: this.#inFlight.size,
      fired: this.#fired,
      failures: this.#failures,
      rescans: this.#rescans,
      unpurged: [...this.#ledgers.values()].reduce((sum, ledger) => sum + ledger.size, 0),
      purges: this.#purges,
      acks: this.#acks,
    };
  }

  /** The partitions owned now, ascending. */
  get owned(): number[] {
    return [...this.#watches.keys()].sort((a, b) => a - b);
  }

  /** Makes `partitions` the owned set: drops the ones lost, scans the ones gained. Idempotent. */
  setOwned(partitions: readonly number[]): void {
    if (this.#stopped) return;
    const wanted = new Set(partitions);
    const lost = [...this.#watches.keys()].filter((partition) => !wanted.has(partition));
    // A last purge while this node still knows what is live; in-flight ones of a lost partition are acked alone.
    if (lost.length > 0) this.#purge(lost);
    for (const partition of lost) {
      this.#watches.get(partition)?.stop();
      this.#watches.delete(partition);
      this.#scanning.delete(partition);
    }
    for (const partition of this.#ledgers.keys()) if (!wanted.has(partition)) this.#ledgers.delete(partition);
    if (lost.length > 0) {
      const gone = new Set(lost);
      this.#window.removeWhere((pending) => gone.has(pending.reminder.partition));
    }
    for (const partition of wanted) if (!this.#watches.has(partition)) this.#watch(partition);
    this.#arm();
  }

  /** Stops watching and firing; deliveries in flight finish (their acks too). Idempotent. */
  stop(): void {
    if (!this.#stopped) this.#purge([...this.#watches.keys()]);
    this.#stopped = true;
    this.#ledgers.clear();
    if (this.#purgeTimer !== undefined) this.#clock.clearTimeout(this.#purgeTimer);
    this.#purgeTimer = undefined;
    for (const watch of this.#watches.values()) watch.stop();
    this.#watches.clear();
    this.#scanning.clear();
    this.#window.reset();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #watch(partition: number): void {
    this.#scanning.add(partition);
    const watch = new WatchSlot();
    this.#watches.set(partition, watch);
    let ledger = this.#ledgers.get(partition);
    if (ledger === undefined) {
      ledger = new FiredLedger(partition);
      this.#ledgers.set(partition, ledger);
    }
    ledger.scanStarted();
    const handle = this.#store.watch(partition, {
      put: (reminder) => {
        if (this.#watches.get(partition) !== watch) return;
        ledger.seen(reminder.revision);
        if (!ledger.hasFired(reminder)) this.#offer(reminder, ledger);
      },
      removed: (key) => {
        if (this.#watches.get(partition) !== watch) return;
        if (this.#inFlight.has(key)) this.#cancelledInFlight.add(key);
        if (this.#window.remove(key) !== undefined) this.#arm();
      },
      ready: () => {
        if (this.#watches.get(partition) !== watch) return;
        this.#scanning.delete(partition);
        this.#watchFailures = 0;
      },
      failed: (error) => {
        if (this.#watches.get(partition) !== watch) return;
        this.#onError?.(error, 'watch', undefined);
        watch.stop();
        this.#watches.delete(partition);
        this.#window.removeWhere((pending) => pending.reminder.partition === partition);
        // Watched again after a pause that doubles while watches keep failing (an overloaded server is not
        // helped by more consumers), unless the partition moved away meanwhile (setOwned decides then).
        const pauseMs = Math.min(WATCH_RETRY_MAX_MS, WATCH_RETRY_MS * 2 ** Math.min(this.#watchFailures++, 5));
        this.#clock.setTimeout(() => {
          if (!this.#stopped && !this.#watches.has(partition)) this.#watch(partition);
        }, pauseMs);
      },
    });
    watch.watch = handle;
    if (watch.stopped) handle.stop();
  }

  #offer(reminder: StoredReminder, ledger: FiredLedger): void {
    if (this.#inFlight.get(reminder.key)?.revision === reminder.revision) return;
    const current = this.#window.get(reminder.key);
    if (current !== undefined && current.reminder.revision === reminder.revision) return;
    const pending: Pending = { key: reminder.key, dueAt: reminder.dueAt, reminder, attempt: 0 };
    if (this.#window.offer(pending)) this.#arm();
    else ledger.outside(reminder.revision);
  }

  /** Keeps exactly one timer, for the earliest reminder in the window, unless every delivery slot is taken. */
  #arm(): void {
    if (this.#stopped) return;
    const next = this.#inFlight.size >= this.#maxInFlight ? undefined : this.#window.nextDueAt();
    if (next === undefined) {
      if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= next) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(0, next - this.#clock.wallNow()));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#stopped) return;
    const due = this.#window.takeDue(this.#clock.wallNow(), this.#maxInFlight - this.#inFlight.size);
    for (const pending of due) this.#fire(pending);
    if (this.#window.needsRefill && this.#scanning.size === 0) this.#rescan();
    this.#arm();
  };

  /** The window ran low while the store holds more: scan the owned partitions again into an empty window. */
  #rescan(): void {
    this.#rescans++;
    const partitions = [...this.#watches.keys()];
    for (const watch of this.#watches.values()) watch.stop();
    this.#watches.clear();
    this.#window.reset();
    for (const partition of partitions) this.#watch(partition);
  }

  #fire(pending: Pending): void {
    const reminder = pending.reminder;
    this.#inFlight.set(reminder.key, reminder);
    const event = { ...reminder.event, reminder: { name: reminder.name, scheduledAt: reminder.dueAt } };
    let delivered: Promise<unknown>;
    try {
      delivered = this.#deliver(reminder, event, `reminder/${reminder.key}/${reminder.revision}`);
    } catch (error) {
      delivered = Promise.reject(error);
    }
    delivered.then(
      () => this.#settle(reminder, 0),
      (error: unknown) => this.#deliveryFailed(pending, error),
    );
  }

  /**
   * Acknowledged: a one-shot goes to its partition's ledger (removed by the next purge); a periodic one moves on
   * to its next period; one of a partition no longer owned is acked alone. A store failure is retried.
   */
  #settle(reminder: StoredReminder, attempt: number): void {
    const now = this.#clock.wallNow();
    if (attempt === 0) {
      this.#fired++;
      this.#onFired?.(reminder, now - reminder.dueAt);
    }
    const ledger = this.#ledgers.get(reminder.partition);
    if (reminder.everyMs === 0 && ledger !== undefined && !this.#stopped) {
      ledger.fired(reminder, now);
      this.#armPurge();
      this.#release(reminder);
      return;
    }
    const done =
      reminder.everyMs > 0
        ? this.#store.reschedule(reminder, nextPeriodicDue(reminder.dueAt, reminder.everyMs, now))
        : this.#store.ack(reminder);
    done.then(
      () => this.#release(reminder),
      (error: unknown) => {
        this.#onError?.(error, 'ack', reminder);
        if (this.#stopped) return this.#release(reminder);
        this.#clock.setTimeout(() => this.#settle(reminder, attempt + 1), this.#backoff(attempt + 1));
      },
    );
  }

  #deliveryFailed(pending: Pending, error: unknown): void {
    this.#failures++;
    this.#onError?.(error, 'deliver', pending.reminder);
    const cancelled = this.#cancelledInFlight.has(pending.key);
    this.#release(pending.reminder);
    if (cancelled) return;
    // A newer revision that arrived meanwhile (set again, or cancelled: then gone) wins over the retry.
    if (this.#stopped || this.#window.get(pending.key) !== undefined) return;
    if (!this.#watches.has(pending.reminder.partition)) return; // moved away: its new owner fires it
    const attempt = pending.attempt + 1;
    const retry: Pending = {
      key: pending.key,
      dueAt: this.#clock.wallNow() + this.#backoff(attempt),
      reminder: pending.reminder,
      attempt,
    };
    if (!this.#window.offer(retry)) this.#ledgers.get(retry.reminder.partition)?.outside(retry.reminder.revision);
    this.#arm();
  }

  #release(reminder: StoredReminder): void {
    if (this.#inFlight.get(reminder.key)?.revision === reminder.revision) {
      this.#inFlight.delete(reminder.key);
      this.#cancelledInFlight.delete(reminder.key);
    }
    this.#arm();
  }

  #armPurge(): void {
    if (this.#purgeTimer === undefined && !this.#stopped) {
      this.#purgeTimer = this.#clock.setTimeout(this.#onPurgeTimer, this.#purgeIntervalMs);
    }
  }

  readonly #onPurgeTimer = (): void => {
    this.#purgeTimer = undefined;
    if (this.#stopped) return;
    this.#purge([...this.#ledgers.keys()]);
    const now = this.#clock.wallNow();
    let waiting = false;
    for (const ledger of this.#ledgers.values()) {
      for (const reminder of ledger.overdue(now, this.#maxUnpurgedMs, this.#maxUnpurged))
        this.#ackAlone(ledger, reminder);
      if (ledger.size > 0) waiting = true;
    }
    if (waiting) this.#armPurge();
  };

  /**
   * Purges each of `partitions` (watched, scan done) below its purge point: the lowest revision of its live
   * records held in memory comes from one pass over the window and the deliveries in flight.
   */
  #purge(partitions: readonly number[]): void {
    if (!partitions.some((partition) => (this.#ledgers.get(partition)?.size ?? 0) > 0)) return;
    const lowest = new Map<number, number>();
    const note = (reminder: StoredReminder) => {
      const low = lowest.get(reminder.partition);
      if (low === undefined || reminder.revision < low) lowest.set(reminder.partition, reminder.revision);
    };
    for (const pending of this.#window.values()) note(pending.reminder);
    for (const reminder of this.#inFlight.values()) note(reminder);
    for (const partition of partitions) {
      const ledger = this.#ledgers.get(partition);
      if (ledger === undefined || ledger.purging || ledger.size === 0) continue;
      if (!this.#watches.has(partition) || this.#scanning.has(partition)) continue;
      const point = ledger.purgePoint(lowest.get(partition) ?? Number.POSITIVE_INFINITY);
      if (point === undefined) continue;
      ledger.purging = true;
      this.#purges++;
      this.#store.purgeBelow(partition, point).then(
        () => {
          ledger.purging = false;
          ledger.purged(point);
        },
        (error: unknown) => {
          ledger.purging = false;
          this.#onError?.(error, 'purge', undefined);
        },
      );
    }
  }

  /** Acks one fired reminder on its own (its purge is held back); a failure leaves it for a later try. */
  #ackAlone(ledger: FiredLedger, reminder: StoredReminder): void {
    this.#acks++;
    this.#store.ack(reminder).then(
      () => ledger.settled(reminder, true),
      (error: unknown) => {
        ledger.settled(reminder, false);
        this.#onError?.(error, 'ack', reminder);
      },
    );
  }

  #backoff(attempt: number): number {
    return Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** Math.min(attempt - 1, 20));
  }
}
