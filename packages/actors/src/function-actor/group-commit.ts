/**
 * Group commit for durable function actors: every activation whose snapshot changed in this turn queues itself
 * here once, and ONE microtask, after the kernel's dispatcher ran the turn's messages, starts all their saves.
 *
 * ```
 *  turn: dispatcher runs messages of A, B, C (A twice) ──▶ A, B, C queue once each
 *  microtask: A.commit(), B.commit(), C.commit()  ──▶ 3 store writes started back to back, none awaited in turn
 *             (JetStream KV: 3 PUBs in one socket write, acks come back together on one inbox)
 *  acks: replies of A's 2 messages, B's and C's are sent; changes made meanwhile are the next group
 * ```
 * One save per actor per group, never one per message, and never one round trip after another: saves of many
 * actors are in flight together. The queue is unbounded but holds each activation at most once (it is bounded by
 * the number of active actors).
 */
import { RingQueue } from '../ring-queue.js';

/** Something with writes to start at the end of the turn: a durable activation's persister. */
export interface Committable {
  /** Starts this group's save. Must not throw. */
  commit(): void;
}

/** The group-commit queue of one process (shared by every activation of a directory). */
export class GroupCommit {
  readonly #queue = new RingQueue<Committable>(64);
  #pending = false;
  readonly #runBound: () => void;
  /** Groups run so far (for tests and metrics). */
  groups = 0;

  constructor() {
    this.#runBound = () => this.#run();
  }

  /** Queues `target` to commit at the end of this turn. The caller makes sure it is queued at most once. */
  schedule(target: Committable): void {
    this.#queue.push(target);
    if (!this.#pending) {
      this.#pending = true;
      queueMicrotask(this.#runBound);
    }
  }

  #run(): void {
    this.#pending = false;
    this.groups++;
    const queue = this.#queue;
    // Only what was queued before this run: a commit that queues again (it cannot, today) waits for the next one.
    for (let n = queue.length; n > 0; n--) (queue.shift() as Committable).commit();
    if (queue.length > 0 && !this.#pending) {
      this.#pending = true;
      queueMicrotask(this.#runBound);
    }
  }
}
