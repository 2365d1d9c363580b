/**
 * The lanes with queued calls, in the order the pump serves them: by the function's `resources.priority`
 * (critical, then high, then normal, then low), round robin among lanes of one priority so a deep queue of one
 * function cannot starve another of its class. Calls of one lane stay FIFO (the lane's own queue).
 *
 * ```
 *   rank 3 critical  [ lane c ]            ◄── shift() takes from the highest non-empty ring
 *   rank 2 high      [ ]
 *   rank 1 normal    [ lane a, lane b ]
 *   rank 0 low       [ lane z ]
 * ```
 *
 * Cost on the common path (every function at the default priority): `shift()` scans at most three empty
 * rings before the normal one, a few comparisons per batch, not per call.
 */
import { PRIORITIES } from '@lucent/core/internal';
import { Deque } from './deque.js';

/** What the ring needs of a lane: its priority's rank (the index in core's `PRIORITIES`, lowest first). */
export interface RankedLane {
  readonly rank: number;
}

/** Ready lanes by priority. Not thread-safe (the pool's main thread only). */
export class ReadyLanes<L extends RankedLane> {
  readonly #rings: Deque<L>[] = PRIORITIES.map(() => new Deque<L>(8));
  #size = 0;

  /** Lanes held, over every priority. */
  get size(): number {
    return this.#size;
  }

  /** Adds `lane` behind the others of its priority. */
  push(lane: L): void {
    this.#rings[lane.rank]!.push(lane);
    this.#size++;
  }

  /** Removes and returns the next lane of the highest priority held, or `undefined` when empty. */
  shift(): L | undefined {
    if (this.#size === 0) return undefined;
    for (let rank = this.#rings.length - 1; rank >= 0; rank--) {
      const ring = this.#rings[rank]!;
      if (ring.size > 0) {
        this.#size--;
        return ring.shift();
      }
    }
    return undefined;
  }
}
