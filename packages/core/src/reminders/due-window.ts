/**
 * The bounded in-memory window of a due-time scheduler that pages the rest from a store: a node with a million
 * pending reminders keeps only the `capacity` earliest in memory, and knows up to when its window is complete.
 *
 * ```
 *   store (all entries, any number)      window (≤ capacity·1.25 in memory)
 *   ───────────────────────────────      ─────────────────────────────────────────────────
 *   due:  3  5  8  9 12 20 31 ...        [ 3 5 8 9 12 ]   cutoff = 20: every stored entry due
 *                                                          before 20 is here; later ones are not
 * ```
 * Invariant: every entry the store holds with `dueAt < cutoff` is in the window (`cutoff = Infinity` when the
 * window holds everything). Offers at or past the cutoff are dropped (the store still has them); when the window
 * grows past `capacity · 1.25` it keeps the `capacity` earliest and lowers the cutoff to the first one dropped.
 * When it runs low (`needsRefill`) the owner rescans the store into a {@link DueWindow.reset} window, which
 * rebuilds it with the same rule, so a scan of N entries holds at most `capacity · 1.25` of them at once.
 *
 * Pure and clock-free; keyed, so a re-offer of a key replaces its entry (a reminder set again, a periodic one
 * rescheduled). Removal is lazy in the heap (a popped item that is no longer its key's entry is skipped).
 */
import { type Due, DueHeap } from './due-heap.js';

/** An entry of a {@link DueWindow}: a stable key and a due time. */
export interface WindowEntry extends Due {
  readonly key: string;
}

/** Options of a {@link DueWindow}. */
export interface DueWindowOptions<T extends WindowEntry = WindowEntry> {
  /** Entries kept after a truncation (the window may hold up to 1.25× this between truncations). */
  readonly capacity: number;
  /**
   * Told of each entry a truncation drops (it stays in the store, out of memory), so an owner can keep a bound on
   * what the store holds beyond the window (the reminder scheduler's purge point). Not told of removals or takes.
   */
  readonly onEvict?: (entry: T) => void;
}

/** Slack over `capacity` before a truncation, so offers near the cutoff do not sort on every insert. */
const SLACK = 1.25;

/** See the module doc. */
export class DueWindow<T extends WindowEntry> {
  readonly capacity: number;
  readonly #limit: number;
  readonly #onEvict: ((entry: T) => void) | undefined;
  readonly #byKey = new Map<string, T>();
  #heap = new DueHeap<T>();
  #cutoff = Number.POSITIVE_INFINITY;

  /** Throws `RangeError` when `capacity` is not an integer ≥ 1. */
  constructor(options: DueWindowOptions<T>) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`DueWindow capacity must be an integer >= 1, got ${String(options.capacity)}`);
    }
    this.capacity = options.capacity;
    this.#limit = Math.max(options.capacity + 1, Math.floor(options.capacity * SLACK));
    this.#onEvict = options.onEvict;
  }

  /** Live entries in memory. */
  get size(): number {
    return this.#byKey.size;
  }

  /** Entries due before this are all in the window; `Infinity` when it holds every stored entry. */
  get cutoff(): number {
    return this.#cutoff;
  }

  /** True when the store may hold entries the window does not (it was truncated since the last reset). */
  get isPartial(): boolean {
    return this.#cutoff !== Number.POSITIVE_INFINITY;
  }

  /** True when the window is partial and down to a quarter of its capacity: time to rescan the store. */
  get needsRefill(): boolean {
    return this.isPartial && this.#byKey.size <= this.capacity >> 2;
  }

  get(key: string): T | undefined {
    return this.#byKey.get(key);
  }

  /**
   * Puts `entry` in the window (replacing the entry of its key) when it is due before the cutoff; returns false,
   * and forgets any older entry of its key, when it is not (the store keeps it for a later scan).
   */
  offer(entry: T): boolean {
    if (!(entry.dueAt < this.#cutoff)) {
      this.#byKey.delete(entry.key);
      return false;
    }
    this.#byKey.set(entry.key, entry);
    this.#heap.push(entry);
    if (this.#byKey.size > this.#limit) this.#truncate();
    return this.#byKey.get(entry.key) === entry;
  }

  /** The live entries, in no particular order (do not change the window while iterating). */
  values(): IterableIterator<T> {
    return this.#byKey.values();
  }

  /** Removes the entry of `key`; returns it, or `undefined` when the window has none. */
  remove(key: string): T | undefined {
    const entry = this.#byKey.get(key);
    if (entry !== undefined) this.#byKey.delete(key);
    return entry;
  }

  /** Removes every entry `drop` selects (e.g. of partitions this node no longer owns); returns how many. */
  removeWhere(drop: (entry: T) => boolean): number {
    let removed = 0;
    for (const [key, entry] of this.#byKey) {
      if (drop(entry)) {
        this.#byKey.delete(key);
        removed++;
      }
    }
    if (removed > 0) this.#rebuildHeap();
    return removed;
  }

  /** The due time of the earliest entry, or `undefined` when the window is empty. Drops stale heap items. */
  nextDueAt(): number | undefined {
    return this.#top()?.dueAt;
  }

  /** Removes and returns up to `max` entries due at or before `now`, earliest first. */
  takeDue(now: number, max: number): T[] {
    const due: T[] = [];
    while (due.length < max) {
      const top = this.#top();
      if (top === undefined || top.dueAt > now) break;
      this.#heap.pop();
      this.#byKey.delete(top.key);
      due.push(top);
    }
    return due;
  }

  /** Empties the window and makes it complete again, before a rescan of the store offers everything anew. */
  reset(): void {
    this.#byKey.clear();
    this.#heap.clear();
    this.#cutoff = Number.POSITIVE_INFINITY;
  }

  /** The heap's top once stale items (removed or replaced entries) are popped off. */
  #top(): T | undefined {
    for (;;) {
      const top = this.#heap.peek();
      if (top === undefined || this.#byKey.get(top.key) === top) return top;
      this.#heap.pop();
    }
  }

  /** Keeps the `capacity` earliest entries; the first dropped one's due time becomes the cutoff. */
  #truncate(): void {
    const live = [...this.#byKey.values()].sort((a, b) => a.dueAt - b.dueAt);
    const firstDropped = live[this.capacity] as T;
    this.#cutoff = Math.min(this.#cutoff, firstDropped.dueAt);
    for (let i = this.capacity; i < live.length; i++) {
      const dropped = live[i] as T;
      this.#byKey.delete(dropped.key);
      this.#onEvict?.(dropped);
    }
    this.#rebuildHeap();
  }

  #rebuildHeap(): void {
    const heap = new DueHeap<T>();
    for (const entry of this.#byKey.values()) heap.push(entry);
    this.#heap = heap;
  }
}
