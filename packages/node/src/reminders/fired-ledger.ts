/**
 * What the owner of one reminder partition knows about the partition's stored records, so that fired one-shot
 * reminders leave the store in runs (one purge below a revision) instead of one delete each.
 *
 * ```
 *  stored revisions of partition p, ascending          f fired (acknowledged, still stored)
 *    7  8  9 10 11 12 13 14 15                         m live, held in memory (window, in flight, retrying)
 *    f  f  m  f  f  m  f  o                            o live beyond the window: only the lowest is kept (outsideLow)
 *                               seen = 15              seen: the highest revision the watch reported
 *  purge point = min(lowest held in memory, outsideLow, seen + 1) = 9  ─►  purgeBelow(p, 9) drops 7 and 8
 *  10, 11 and 14 wait for the point to pass them; held too long (a live record below them stays pending) they are
 *  acked one by one instead
 * ```
 * Why it is safe: a watch reports a partition's records in revision order and the scheduler offers each to its
 * window, so every stored record below `seen + 1` is fired, replaced, or live: held in memory or counted in
 * `outsideLow`. The point is below every live one. A purge never removes a reminder that has not fired; a node
 * that dies before purging leaves fired ones stored, and the next owner delivers them again, at least once, with
 * the same message id (the revision is part of it).
 *
 * Bounded: the fired entries waiting for a purge are at most what fires in a flush interval, plus what is handed
 * to {@link FiredLedger.overdue} once it waited too long or the ledger holds too many.
 */
import type { StoredReminder } from './reminder-store.js';

interface FiredEntry {
  readonly reminder: StoredReminder;
  readonly firedAt: number;
}

/** See the module doc. One per owned partition; pure bookkeeping, the scheduler does the store operations. */
export class FiredLedger {
  readonly partition: number;
  /** A purge of this partition is in flight (one at a time). */
  purging = false;
  #seen = 0;
  #outsideLow = Number.POSITIVE_INFINITY;
  #purgedBelow = 0;
  /**
   * Fired and still stored, by revision (unique in a partition; a number key hashes faster than the record's
   * key, and this is looked up for every record a scan reports), in the order they fired (a Map keeps it).
   */
  readonly #fired = new Map<number, FiredEntry>();
  /** The highest revision in `#fired`: a record above it (every live write) cannot have fired. */
  #firedHigh = 0;
  /** Revisions handed out by `overdue` whose one-by-one ack has not settled. */
  readonly #acking = new Set<number>();

  constructor(partition: number) {
    this.partition = partition;
  }

  /** Fired reminders still stored. */
  get size(): number {
    return this.#fired.size;
  }

  /** The watch reported a record at `revision`. */
  seen(revision: number): void {
    if (revision > this.#seen) this.#seen = revision;
  }

  /** A live record at `revision` is stored but not held in memory (past the window's cutoff). */
  outside(revision: number): void {
    if (revision < this.#outsideLow) this.#outsideLow = revision;
  }

  /** A scan of the partition begins: what lies beyond the window is learnt again. */
  scanStarted(): void {
    this.#outsideLow = Number.POSITIVE_INFINITY;
  }

  /** `reminder` fired and was acknowledged at `now`; it stays stored until purged or acked. */
  fired(reminder: StoredReminder, now: number): void {
    this.#fired.set(reminder.revision, { reminder, firedAt: now });
    if (reminder.revision > this.#firedHigh) this.#firedHigh = reminder.revision;
  }

  /** True when `reminder` (that revision) fired already and is only waiting to leave the store. */
  hasFired(reminder: StoredReminder): boolean {
    return reminder.revision <= this.#firedHigh && this.#fired.has(reminder.revision);
  }

  /**
   * Where to purge below, given the lowest revision of this partition's live records held in memory (`Infinity`
   * when none); `undefined` when no fired record lies below it (nothing worth a purge).
   */
  purgePoint(lowestInMemory: number): number | undefined {
    const point = Math.min(lowestInMemory, this.#outsideLow, this.#seen + 1);
    if (point <= this.#purgedBelow) return undefined;
    for (const revision of this.#fired.keys()) if (revision < point) return point;
    return undefined;
  }

  /** The store dropped every record below `point`: forget the fired ones it took. */
  purged(point: number): void {
    if (point > this.#purgedBelow) this.#purgedBelow = point;
    for (const revision of this.#fired.keys()) if (revision < point) this.#fired.delete(revision);
  }

  /**
   * The fired records to ack one by one: those fired at or before `now - maxWaitMs`, and the oldest beyond
   * `maxHeld`; each is handed out once until {@link settled}.
   */
  overdue(now: number, maxWaitMs: number, maxHeld: number): StoredReminder[] {
    const due: StoredReminder[] = [];
    let excess = this.#fired.size - maxHeld;
    for (const [revision, { reminder, firedAt }] of this.#fired) {
      if (excess <= 0 && firedAt > now - maxWaitMs) break; // fired order: the rest are younger
      excess--;
      if (this.#acking.has(revision)) continue;
      this.#acking.add(revision);
      due.push(reminder);
    }
    return due;
  }

  /** The one-by-one ack of `reminder` settled: `removed` when it left the store (or was gone already). */
  settled(reminder: StoredReminder, removed: boolean): void {
    this.#acking.delete(reminder.revision);
    if (removed) this.#fired.delete(reminder.revision);
  }
}
