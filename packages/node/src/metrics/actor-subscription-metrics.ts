/**
 * Metrics of actor subscriptions (`defineActor({ subscribe })`), bound once per consumer (actor type × event
 * type) when the node starts consuming:
 *
 * ```
 *  lucent_actor_subscription_events_total{actor_type, event_type, outcome}
 *    delivered       the owning actor stored the event (its ask resolved), then it was acknowledged
 *    filtered        `when` said no: acknowledged without reaching an actor
 *    retried         the delivery failed (idFrom threw, the ask failed or timed out) and was given back for redelivery
 *    dead_lettered   out of attempts (or its node died on the last one): stored in the dead-letter stream
 * ```
 */
import type { Registry } from 'prom-client';
import { type CounterChild, CounterFamily } from './metric-families.js';

/** The counters of one subscription consumer. */
export interface SubscriptionCounters {
  readonly delivered: CounterChild;
  readonly filtered: CounterChild;
  readonly retried: CounterChild;
  readonly deadLettered: CounterChild;
}

/** The family on a node's registry; one per node. */
export class ActorSubscriptionMetrics {
  readonly #family: CounterFamily;

  constructor(registry: Registry) {
    this.#family = new CounterFamily(
      'lucent_actor_subscription_events_total',
      'Events of actor subscriptions handled on this node, by actor type, event type and outcome',
      ['actor_type', 'event_type', 'outcome'],
    ).register(registry);
  }

  /** The bound counters of the subscription of `actorType` to `eventType` (bind once, keep them). */
  forSubscription(actorType: string, eventType: string): SubscriptionCounters {
    const bind = (outcome: string) => this.#family.bind([actorType, eventType, outcome]);
    return {
      delivered: bind('delivered'),
      filtered: bind('filtered'),
      retried: bind('retried'),
      deadLettered: bind('dead_lettered'),
    };
  }
}
