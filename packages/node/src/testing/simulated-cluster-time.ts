/**
 * Simulated time for an in-process cluster: one {@link SimulatedClock} shared by every node and client on one
 * {@link InMemoryBus}, moved forward only here, timer by timer, with the bus and the promise continuations run
 * to rest after each firing. No real timer is ever awaited: a wait costs event-loop turns, not milliseconds.
 *
 * ```
 *  settle()       event-loop turn ─► bus idle? ─► another turn ─► … until a turn publishes nothing (≤ maxTurns)
 *  advance(ms)    settle ─► fire the next timer due within ms ─► settle ─► … ─► time = start + ms ─► settle
 *  drive(p, step) settle ─► while p pends: advance one step (stopping at the firing after which p settled),
 *                 at most maxSteps steps
 * ```
 * "At rest" means: every message published so far is delivered and the work it started (mailboxes, replies,
 * promise chains that need no real I/O and no timer) has run. Work waiting on real I/O (an HTTP server closing,
 * a module import) is not waited for.
 */
import type { SimulatedClock } from '@lucent/core/internal';
import type { InMemoryBus } from '../transport/in-memory-bus.js';

/** Options of {@link SimulatedClusterTime}. */
export interface SimulatedClusterTimeOptions {
  /** Most event-loop turns one `settle()` takes (default 1000): a bound for message loops that never end. */
  readonly maxTurns?: number;
}

/** One macrotask turn: the bus's deliveries (scheduled with `setImmediate`) queued before it run first. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Drives a {@link SimulatedClock} over an {@link InMemoryBus}; see the module doc. */
export class SimulatedClusterTime {
  readonly clock: SimulatedClock;
  readonly #bus: InMemoryBus;
  readonly #maxTurns: number;

  constructor(clock: SimulatedClock, bus: InMemoryBus, options: SimulatedClusterTimeOptions = {}) {
    this.clock = clock;
    this.#bus = bus;
    this.#maxTurns = options.maxTurns ?? 1000;
  }

  /**
   * Lets everything that needs neither time nor real I/O run: event-loop turns until the bus is idle and a
   * whole turn published nothing, at most `maxTurns` turns. Moves no time.
   */
  async settle(): Promise<void> {
    for (let i = 0; i < this.#maxTurns; i++) {
      const published = this.#bus.messagesPublished;
      await this.#bus.idle();
      await turn();
      if (this.#bus.messagesPublished === published) return;
    }
  }

  /**
   * Moves time forward by `ms`: fires every timer due in that span in time order (timers they schedule
   * included), settling after each, and resolves settled at exactly `now() + ms` (taken when called).
   */
  async advance(ms: number): Promise<void> {
    await this.settle();
    await this.#advanceUntil(this.clock.now() + Math.max(0, ms), () => false);
  }

  /**
   * Settles, then, while `work` is pending, advances time `stepMs` at a time, at most `maxSteps` times. Stops at
   * the timer firing after which `work` settled, so time ends exactly where `work` became done. Resolves
   * `true` if `work` settled, `false` if it still pends after `maxSteps` steps. Never rejects (`work`'s
   * outcome is the caller's).
   */
  async drive(work: Promise<unknown>, stepMs: number, maxSteps: number): Promise<boolean> {
    let done = false;
    const settled = (): void => {
      done = true;
    };
    work.then(settled, settled);
    await this.settle();
    for (let step = 0; !done && step < maxSteps; step++) {
      await this.#advanceUntil(this.clock.now() + Math.max(1, stepMs), () => done);
    }
    return done;
  }

  /** Fires the timers due by `target` one by one (settling after each) unless `stop()`; then time = `target`. */
  async #advanceUntil(target: number, stop: () => boolean): Promise<void> {
    while (this.clock.fireNext(target)) {
      await this.settle();
      if (stop()) return;
    }
    // No timer left in the span: move time to its end (fires nothing).
    this.clock.advance(target - this.clock.now());
    await this.settle();
  }
}
