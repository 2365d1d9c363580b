/**
 * The per-actor dedup window: the ids of the last N messages an activation applied, stored with its snapshot, so a
 * message delivered twice (a client retrying an ask on the new owner after a node died, with the same envelope id)
 * is applied at most once.
 *
 * ```
 *  ask(e, { messageId }) ─► IdentifiedEvent(id, e) ─► host: window.has(id)? ─yes─► not applied; reply = current value
 *                                                                    │ no
 *                                                                    ▼
 *                                           apply e ─► window.add(id) (same turn) ─► the next save stores both
 * ```
 * The window is saved as one extra field ({@link DEDUP_FIELD}) of the stored snapshot, written in the same save as
 * the state the message produced (both are read in the same turn), so after a failover the new owner's window
 * holds exactly the ids whose effects its state holds. It is bounded (oldest id evicted first): a duplicate older
 * than the last `capacity` messages of that actor is applied again. Events sent without an id (tells, local asks)
 * are not recorded.
 *
 * What a duplicate gets: the actor's reply value as of now (its context for the default `replyWith`, `undefined`
 * for `replyWith: 'emit'`, since the emitted value of the original is not stored), never a hang.
 *
 * Memory: nothing until the first identified message; then a ring of `capacity` strings and a `Set` for lookups.
 */

/** Default number of message ids an activation remembers. */
export const DEFAULT_DEDUP_CAPACITY = 128;

/** The field of the stored snapshot that holds the window (ids, oldest first). */
export const DEDUP_FIELD = 'lucentSeen';

/** An event that carries the id of the message it came in (envelope id); the function actor dedups on it. */
export class IdentifiedEvent {
  readonly id: string;
  readonly event: unknown;

  constructor(id: string, event: unknown) {
    this.id = id;
    this.event = event;
  }
}

/** The last `capacity` message ids, in arrival order, with O(1) lookup. Not thread-safe (one per activation). */
export class DedupWindow {
  readonly capacity: number;
  readonly #ring: (string | undefined)[];
  readonly #ids = new Set<string>();
  #next = 0;

  /** Throws `RangeError` for a capacity that is not a positive integer. */
  constructor(capacity: number = DEFAULT_DEDUP_CAPACITY, ids: readonly string[] = []) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError('dedup capacity must be a positive integer');
    this.capacity = capacity;
    this.#ring = new Array<string | undefined>(capacity).fill(undefined);
    for (const id of ids) this.add(id);
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.#ids.size;
  }

  /** True when `id` was added and not yet evicted. */
  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Remembers `id`, evicting the oldest when full. Adding an id already present does nothing. */
  add(id: string): void {
    if (this.#ids.has(id)) return;
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#ids.delete(evicted);
    this.#ring[this.#next] = id;
    this.#ids.add(id);
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** The ids, oldest first (the stored form). */
  toArray(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const id = this.#ring[(this.#next + i) % this.capacity];
      if (id !== undefined) out.push(id);
    }
    return out;
  }
}

/**
 * The hook on the save path: `persisted` (the machine's persisted snapshot) with the window's ids added as
 * {@link DEDUP_FIELD}. Returns `persisted` itself when there is no window, or it is not an object.
 */
export function withDedupWindow(persisted: unknown, window: DedupWindow | undefined): unknown {
  if (window === undefined || window.size === 0 || typeof persisted !== 'object' || persisted === null)
    return persisted;
  return { ...persisted, [DEDUP_FIELD]: window.toArray() };
}

/** What {@link splitDedupWindow} returns: the machine's snapshot and the stored ids. */
export interface SplitSnapshot {
  /** The persisted snapshot to restore, without the window; `undefined` for none (a fencing write's `null`). */
  readonly persisted: unknown;
  /** The stored ids, oldest first; empty when none were stored. */
  readonly ids: readonly string[];
}

/**
 * The hook on the load path: splits a stored value into the machine's persisted snapshot and the window's ids.
 * A stored `null` (written by a fencing write on a key that had no snapshot) means no snapshot.
 */
export function splitDedupWindow(stored: unknown): SplitSnapshot {
  if (stored === null || stored === undefined) return { persisted: undefined, ids: [] };
  if (typeof stored !== 'object' || !(DEDUP_FIELD in stored)) return { persisted: stored, ids: [] };
  const { [DEDUP_FIELD]: raw, ...persisted } = stored as Record<string, unknown>;
  const ids = Array.isArray(raw) ? raw.filter((id): id is string => typeof id === 'string') : [];
  return { persisted, ids };
}
