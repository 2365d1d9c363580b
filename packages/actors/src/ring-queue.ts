/**
 * A FIFO queue on a growable power-of-two ring buffer: O(1) `push` and `shift` with no per-item allocation
 * and no `Array#shift` (which copies or left-trims the backing store). Mailboxes are built on it.
 *
 * ```
 *  buffer: [ . . c d e f . . ]      head = 2, length = 4, mask = 7
 *                ^head   ^tail = (head + length) & mask
 * ```
 */

/** A queue that grew past this many slots may give the memory back when it empties (see `onEmptied`). */
const SHRINK_ABOVE_SLOTS = 1024;
/** Past this many slots it gives it back as soon as it empties. */
const SHRINK_AT_ONCE_ABOVE_SLOTS = 65_536;
/** Below that, only after emptying this many times without growing: a bursty actor does not regrow per burst. */
const EMPTIED_TIMES_BEFORE_SHRINK = 64;

function nextPowerOfTwo(n: number): number {
  let p = 2;
  while (p < n) p <<= 1;
  return p;
}

function emptySlots<T>(count: number): (T | undefined)[] {
  return new Array<T | undefined>(count).fill(undefined);
}

/**
 * First in, first out. Grows by doubling when full; never shrinks while it holds items. Once grown past 1024
 * slots it returns to its initial size when it empties, at once above 65 536 slots, otherwise after emptying
 * 64 times without growing (so a queue that takes regular bursts keeps its buffer; one that stays idle after a
 * burst keeps it too, bounded by that burst).
 */
export class RingQueue<T> {
  private slots: (T | undefined)[];
  private mask: number;
  private head: number;
  private count: number;
  private readonly initialSlots: number;
  private emptiedSinceGrow = 0;

  /** `initialCapacity` is rounded up to a power of two (at least 2). */
  constructor(initialCapacity = 16) {
    this.initialSlots = nextPowerOfTwo(initialCapacity);
    this.slots = emptySlots<T>(this.initialSlots);
    this.mask = this.initialSlots - 1;
    this.head = 0;
    this.count = 0;
  }

  /** Items in the queue. */
  get length(): number {
    return this.count;
  }

  /** Slots currently allocated (for tests and diagnostics). */
  get capacity(): number {
    return this.slots.length;
  }

  /** Appends `item` at the tail, doubling the buffer first when it is full. */
  push(item: T): void {
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) & this.mask] = item;
    this.count++;
  }

  /** Removes and returns the head, or `undefined` when empty. The vacated slot is cleared so it holds no reference. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    if (--this.count === 0) this.onEmptied();
    return item;
  }

  /** The head without removing it, or `undefined` when empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** Removes every item. */
  clear(): void {
    this.slots = emptySlots<T>(this.initialSlots);
    this.mask = this.initialSlots - 1;
    this.head = 0;
    this.count = 0;
  }

  /** The items from head to tail, as a new array (for tests and diagnostics; not for the hot path). */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.slots[(this.head + i) & this.mask] as T);
    return out;
  }

  private grow(): void {
    const old = this.slots;
    const size = old.length;
    const next = emptySlots<T>(size * 2);
    // Unroll the ring into the new buffer so that head becomes 0.
    for (let i = 0; i < size; i++) next[i] = old[(this.head + i) & this.mask];
    this.slots = next;
    this.mask = size * 2 - 1;
    this.head = 0;
    this.emptiedSinceGrow = 0;
  }

  private onEmptied(): void {
    this.head = 0;
    const size = this.slots.length;
    if (size <= SHRINK_ABOVE_SLOTS || size <= this.initialSlots) return;
    // A burst can leave a mailbox with a huge buffer; give it back, but not on every burst (regrowing costs).
    if (size > SHRINK_AT_ONCE_ABOVE_SLOTS || ++this.emptiedSinceGrow >= EMPTIED_TIMES_BEFORE_SHRINK) {
      this.slots = emptySlots<T>(this.initialSlots);
      this.mask = this.initialSlots - 1;
      this.emptiedSinceGrow = 0;
    }
  }
}
