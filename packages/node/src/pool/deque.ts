/**
 * A growable ring-buffer double-ended queue. The pool queues pending calls in one per function: `push` for
 * new calls, `unshift` to put re-run calls back at the front, `shift` to cut batches. All O(1) amortised;
 * no `Array#shift` (O(n) once V8 leaves its fast path for large arrays).
 */
export class Deque<T> {
  #buffer: (T | undefined)[];
  #head = 0;
  #size = 0;

  /** @param initialCapacity rounded up to a power of two. */
  constructor(initialCapacity = 16) {
    let capacity = 1;
    while (capacity < initialCapacity) capacity <<= 1;
    this.#buffer = new Array<T | undefined>(capacity).fill(undefined);
  }

  /** Number of items held. */
  get size(): number {
    return this.#size;
  }

  /** Adds `item` at the back. */
  push(item: T): void {
    if (this.#size === this.#buffer.length) this.#grow();
    this.#buffer[(this.#head + this.#size) & (this.#buffer.length - 1)] = item;
    this.#size++;
  }

  /** Adds `item` at the front (it is the next `shift()`). */
  unshift(item: T): void {
    if (this.#size === this.#buffer.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#buffer.length - 1);
    this.#buffer[this.#head] = item;
    this.#size++;
  }

  /** The front item without removing it, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#buffer[this.#head];
  }

  /** Removes and returns the front item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#buffer[this.#head];
    this.#buffer[this.#head] = undefined; // let the item be collected
    this.#head = (this.#head + 1) & (this.#buffer.length - 1);
    this.#size--;
    return item;
  }

  #grow(): void {
    const old = this.#buffer;
    const next = new Array<T | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.#size; i++) next[i] = old[(this.#head + i) & (old.length - 1)];
    this.#buffer = next;
    this.#head = 0;
  }
}
