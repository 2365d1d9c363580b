/**
 * Metrics of the durable event path, bound once per consumer: handled, redelivered (a failed run given back
 * with a delay) and dead-lettered deliveries.
 *
 * ```
 *  lucent_events_handled_total{consumer}        runs that completed and were acknowledged
 *  lucent_event_retries_total{consumer}         failed runs given back for redelivery
 *  lucent_event_dead_letters_total{consumer}    deliveries moved to the dead-letter stream
 * ```
 */
import type { Registry } from 'prom-client';
import { type CounterChild, CounterFamily } from './metric-families.js';

/** The counters of one consumer. */
export interface ConsumerEventMetrics {
  readonly handled: CounterChild;
  readonly retried: CounterChild;
  readonly deadLettered: CounterChild;
}

/** Event counters on a node's registry (or detached, without one). */
export class EventMetrics {
  readonly #handled: CounterFamily;
  readonly #retried: CounterFamily;
  readonly #deadLettered: CounterFamily;

  constructor(registry: Registry | undefined) {
    this.#handled = new CounterFamily(
      'lucent_events_handled_total',
      'Durable event deliveries handled and acknowledged',
      ['consumer'],
    );
    this.#retried = new CounterFamily('lucent_event_retries_total', 'Failed event runs given back for redelivery', [
      'consumer',
    ]);
    this.#deadLettered = new CounterFamily(
      'lucent_event_dead_letters_total',
      'Event deliveries moved to the dead-letter stream',
      ['consumer'],
    );
    if (registry !== undefined) {
      this.#handled.register(registry);
      this.#retried.register(registry);
      this.#deadLettered.register(registry);
    }
  }

  /** The bound counters of `consumer` (bind once, keep them). */
  forConsumer(consumer: string): ConsumerEventMetrics {
    return {
      handled: this.#handled.bind([consumer]),
      retried: this.#retried.bind([consumer]),
      deadLettered: this.#deadLettered.bind([consumer]),
    };
  }
}
