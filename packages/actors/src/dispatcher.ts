/**
 * The run queue of one actor system: cells with messages to process wait here, and ONE microtask drains them
 * all in the order they became ready. Compared with one `queueMicrotask` per actor per burst this costs a ring
 * push per ready actor and needs no per-actor closure (which matters for memory at 100k actors).
 *
 * ```
 *  tell ─> cell.scheduled? no ─> ready: [cellA, cellB, …] ─(one microtask)─> cellA.drain(), cellB.drain(), …
 * ```
 */
import { RingQueue } from './ring-queue.js';

/** Something the dispatcher can run: a cell draining its mailbox. `drain` must not throw. */
export interface Runnable {
  drain(): void;
}

/** Actors run per microtask before the dispatcher yields, so other microtasks (and promise reactions) interleave. */
const RUN_BUDGET = 4096;

/** Schedules runnables on the microtask queue, FIFO. */
export class Dispatcher {
  private readonly ready = new RingQueue<Runnable>(64);
  private pending = false;
  private readonly runBound: () => void;

  constructor() {
    this.runBound = () => this.run();
  }

  /** Queues `runnable` to run in a later microtask. The caller makes sure a runnable is queued at most once. */
  schedule(runnable: Runnable): void {
    this.ready.push(runnable);
    if (!this.pending) {
      this.pending = true;
      queueMicrotask(this.runBound);
    }
  }

  private run(): void {
    const ready = this.ready;
    let budget = RUN_BUDGET;
    try {
      while (ready.length > 0) {
        if (--budget < 0) break;
        (ready.shift() as Runnable).drain();
      }
    } finally {
      // Re-arm when work is left: the budget was spent, or a drain threw (a kernel bug, which must not wedge
      // every other actor of the system).
      if (ready.length > 0) queueMicrotask(this.runBound);
      else this.pending = false;
    }
  }
}
