/**
 * A binary min-heap of items ordered by a numeric due time, ties in insertion order: the one structure behind
 * "one timer per node for the next due thing" (reminders today; any due-time scheduler, e.g. cron ticks or saga
 * timeouts, can reuse it). Pure: no clock, no timers; the caller reads {@link DueHeap.peek} and arms one timer.
 *
 * ```
 *   push / pop   O(log n)        peek   O(1)        array-backed, no allocation per operation
 *   [ 10 | 20 | 15 | 40 | 25 ]   item i's children are 2i+1 and 2i+2
 * ```
 * `descending: true` turns it into a max-heap (the bounded "keep the N earliest" scan uses one).
 */

/** An item with the time (ms) it is due at. */
export interface Due {
  readonly dueAt: number;
}

interface Slot<T> {
  readonly item: T;
  readonly dueAt: number;
  readonly seq: number;
}

/** See the module doc. Not thread-safe (nothing here is); iteration order of {@link items} is heap order. */
export class DueHeap<T extends Due> {
  readonly #slots: Slot<T>[] = [];
  readonly #sign: 1 | -1;
  #seq = 0;

  constructor(options: { readonly descending?: boolean } = {}) {
    this.#sign = options.descending === true ? -1 : 1;
  }

  get size(): number {
    return this.#slots.length;
  }

  /** The earliest item (latest when descending), or `undefined` when empty. */
  peek(): T | undefined {
    return this.#slots[0]?.item;
  }

  push(item: T): void {
    const slots = this.#slots;
    slots.push({ item, dueAt: item.dueAt, seq: this.#seq++ });
    this.#up(slots.length - 1);
  }

  /** Removes and returns the earliest item (latest when descending), or `undefined` when empty. */
  pop(): T | undefined {
    const slots = this.#slots;
    const top = slots[0];
    if (top === undefined) return undefined;
    const last = slots.pop() as Slot<T>;
    if (slots.length > 0) {
      slots[0] = last;
      this.#down(0);
    }
    return top.item;
  }

  /** The items, in heap order (not sorted). */
  *items(): IterableIterator<T> {
    for (const slot of this.#slots) yield slot.item;
  }

  clear(): void {
    this.#slots.length = 0;
  }

  /** True when slot `a` comes before slot `b`. */
  #before(a: Slot<T>, b: Slot<T>): boolean {
    if (a.dueAt !== b.dueAt) return (a.dueAt - b.dueAt) * this.#sign < 0;
    return a.seq < b.seq;
  }

  #up(index: number): void {
    const slots = this.#slots;
    const slot = slots[index] as Slot<T>;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = slots[parent] as Slot<T>;
      if (!this.#before(slot, above)) break;
      slots[index] = above;
      index = parent;
    }
    slots[index] = slot;
  }

  #down(index: number): void {
    const slots = this.#slots;
    const n = slots.length;
    const slot = slots[index] as Slot<T>;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.#before(slots[right] as Slot<T>, slots[left] as Slot<T>) ? right : left;
      const below = slots[child] as Slot<T>;
      if (!this.#before(below, slot)) break;
      slots[index] = below;
      index = child;
    }
    slots[index] = slot;
  }
}
