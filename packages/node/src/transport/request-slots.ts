/**
 * Pending requests by id, in a power-of-two array of slots: id `i` lives in slot `i & mask`, and an id is handed
 * out only while its slot is free, so a lookup is one array read and never probes.
 *
 * ```
 *  capacity 8, mask 7:   slot  0    1    2    3    4    5    6    7
 *                              -   r9   r10   -   r12   -    -    -      nextId() after 12: 13 (slot 5 free)
 *  half full ─► the array doubles, entries move to id & (2·capacity − 1)
 * ```
 *
 * Why not a `Map`: under the steady churn of a busy connection (an add and a delete per request) V8's ordered
 * hash table rebuilds its backing store every few thousand operations, and an obsolete store that reached old
 * space still points at the entries it held. Scavenges take those dead entries for live ones and promote them with
 * everything they reach (the caller's promise, envelope and input) until the next full GC. In node/peers' client
 * that was a third of all bytes allocated, 10-15 ms scavenges every 35 ms and twice the GC time; with this table
 * almost nothing is promoted. Deleting here clears the slot, which leaves nothing behind.
 */

/** Something stored by its id. */
export interface Identified {
  readonly id: number;
}

/** Slots of a new (or emptied) table. */
const INITIAL_CAPACITY = 1024;
/** An emptied table larger than this many times {@link INITIAL_CAPACITY} returns to that size. */
const SHRINK_FACTOR = 16;

/** See the module doc. Ids run 1..`maxId`, then wrap to 1 (skipping those still pending). */
export class RequestSlots<T extends Identified> {
  readonly #maxId: number;
  #slots: (T | undefined)[] = emptySlots(INITIAL_CAPACITY);
  #mask = INITIAL_CAPACITY - 1;
  #size = 0;
  #lastId = 0;

  constructor(maxId: number) {
    this.#maxId = maxId;
  }

  /** Entries stored. */
  get size(): number {
    return this.#size;
  }

  /** The entry with `id`, or `undefined`. */
  get(id: number): T | undefined {
    const entry = this.#slots[id & this.#mask];
    return entry !== undefined && entry.id === id ? entry : undefined;
  }

  /**
   * The id for the next entry: the first after the last one handed out whose slot is free (so no pending entry has
   * it). Grows the table first when it is half full, which keeps a free slot close.
   */
  nextId(): number {
    if ((this.#size + 1) * 2 > this.#slots.length) this.#grow();
    let id = this.#lastId;
    do id = id < this.#maxId ? id + 1 : 1;
    while (this.#slots[id & this.#mask] !== undefined);
    this.#lastId = id;
    return id;
  }

  /** Stores `entry` under its id, which must come from {@link nextId} and not be stored yet. */
  add(entry: T): void {
    this.#slots[entry.id & this.#mask] = entry;
    this.#size++;
  }

  /** Takes the entry with `id` out and returns it, or `undefined` when none is stored. */
  take(id: number): T | undefined {
    const slot = id & this.#mask;
    const entry = this.#slots[slot];
    if (entry === undefined || entry.id !== id) return undefined;
    this.#slots[slot] = undefined;
    this.#size--;
    if (this.#size === 0 && this.#slots.length > INITIAL_CAPACITY * SHRINK_FACTOR) this.#reset();
    return entry;
  }

  /** Every stored entry (a copy: the caller may take them meanwhile). */
  values(): T[] {
    const out: T[] = [];
    for (const entry of this.#slots) if (entry !== undefined) out.push(entry);
    return out;
  }

  #grow(): void {
    const capacity = this.#slots.length * 2;
    const slots = emptySlots<T>(capacity);
    const mask = capacity - 1;
    // Distinct ids in distinct slots under the old mask stay distinct under a mask with one more bit.
    for (const entry of this.#slots) if (entry !== undefined) slots[entry.id & mask] = entry;
    this.#slots = slots;
    this.#mask = mask;
  }

  #reset(): void {
    this.#slots = emptySlots(INITIAL_CAPACITY);
    this.#mask = INITIAL_CAPACITY - 1;
  }
}

/** A packed array of `capacity` empty slots (filled, not holey: V8 keeps its fast elements kind). */
function emptySlots<T>(capacity: number): (T | undefined)[] {
  return new Array<T | undefined>(capacity).fill(undefined);
}
