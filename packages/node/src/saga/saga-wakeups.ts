/**
 * Wake-ups of sagas' waits on one node: a `waitFor` that found nothing in its saga's inbox sleeps here until an
 * event for its saga was stored, its poll period passed, or its step stopped. The node that stored an event (any
 * node: the one that consumed it) wakes the waits of that saga on every node with one core message on
 * `lucent.<cluster>.saga.wake`; a lost one costs at most a poll period, since the stored state is the truth.
 */
import type { Clock } from '@lucent/core/internal';
import type { Transport, TransportSubscription } from '../transport/transport.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The subject of saga wake-ups (outside `lucent.<cluster>.events.>`: not stored). */
export function sagaWakeSubject(cluster: string): string {
  return `lucent.${cluster}.saga.wake`;
}

/** See the module doc. Keys are saga actor keys (`saga-<name>/<id>`). */
export class SagaWakeups {
  readonly #clock: Clock;
  readonly #sleepers = new Map<string, Set<() => void>>();
  #subscription: TransportSubscription | undefined = undefined;
  #transport: Transport | undefined = undefined;
  #subject = '';

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Hears other nodes' wake-ups on `transport` (and sends this node's there). */
  listen(transport: Transport, cluster: string): void {
    this.#transport = transport;
    this.#subject = sagaWakeSubject(cluster);
    this.#subscription = transport.subscribe(this.#subject, (frame) => this.#wakeLocal(decoder.decode(frame)));
  }

  /** Stops hearing wake-ups and wakes every sleeper (they see their stop signal or poll once more). */
  close(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    for (const key of [...this.#sleepers.keys()]) this.#wakeLocal(key);
  }

  /** Wakes the sleepers of `key` here and on every node listening. Never throws. */
  wake(key: string): void {
    this.#wakeLocal(key);
    try {
      this.#transport?.send(this.#subject, encoder.encode(key));
    } catch {
      // Closing: the sleepers elsewhere poll.
    }
  }

  /** Resolves at the next wake-up of `key`, after `ms`, or when `signal` aborts, whichever is first. */
  sleep(key: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let sleepers = this.#sleepers.get(key);
      if (sleepers === undefined) {
        sleepers = new Set();
        this.#sleepers.set(key, sleepers);
      }
      const own = sleepers;
      const done = () => {
        this.#clock.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        own.delete(done);
        if (own.size === 0 && this.#sleepers.get(key) === own) this.#sleepers.delete(key);
        resolve();
      };
      const timer = this.#clock.setTimeout(done, ms);
      own.add(done);
      if (signal.aborted) done();
      else signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Sleepers now (for tests). */
  get sleeping(): number {
    let count = 0;
    for (const sleepers of this.#sleepers.values()) count += sleepers.size;
    return count;
  }

  #wakeLocal(key: string): void {
    const sleepers = this.#sleepers.get(key);
    if (sleepers !== undefined) for (const wake of [...sleepers]) wake();
  }
}
