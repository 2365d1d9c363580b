/**
 * The one unlink of Lucent's intrusive doubly linked lists (the actors' ask deadlines, the transport's pending
 * requests): the entries carry their own `prev`/`next`, so a list needs no node objects and removal is O(1).
 *
 * ```
 *  ends.head ─► [a] ⇄ [b] ⇄ [c] ◄─ ends.tail        unlink(ends, b): [a] ⇄ [c], b.prev = b.next = null
 *                                                     append(ends, d): [a] ⇄ [b] ⇄ [c] ⇄ [d]
 * ```
 */

/** An entry of an intrusive list: its neighbours, `null` at the ends. */
export interface LinkedEntry<T> {
  prev: T | null;
  next: T | null;
}

/** The two ends of an intrusive list, `null` when it is empty. */
export interface LinkedEnds<T> {
  head: T | null;
  tail: T | null;
}

/** Puts `entry` (in no list: its links are null) at the tail of the list `ends`. O(1), allocates nothing. */
export function appendEntry<T extends LinkedEntry<T>>(ends: LinkedEnds<T>, entry: T): void {
  entry.prev = ends.tail;
  if (ends.tail === null) ends.head = entry;
  else ends.tail.next = entry;
  ends.tail = entry;
}

/** Takes `entry` out of the list `ends` (which must hold it) and clears its links. O(1), allocates nothing. */
export function unlinkEntry<T extends LinkedEntry<T>>(ends: LinkedEnds<T>, entry: T): void {
  if (entry.prev === null) ends.head = entry.next;
  else entry.prev.next = entry.next;
  if (entry.next === null) ends.tail = entry.prev;
  else entry.next.prev = entry.prev;
  entry.prev = null;
  entry.next = null;
}
