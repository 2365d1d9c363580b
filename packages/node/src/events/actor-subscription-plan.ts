/**
 * Pure plans of actor subscriptions (`defineActor({ subscribe })`): one durable consumer per (actor type, event
 * type), shared by every node hosting the type, with the settings of the function consumers
 * (`event-consumer-plan.ts`) and a fixed retry policy.
 *
 * ```
 *  consumer actor-<type>--<event>   filter lucent.<C>.events.<event>   dead letters lucent.<C>.dlq.actor-<type>--<event>
 * ```
 * The consumer's `functionName` is `actor-<type>`: a dead letter replayed to it (`client.events.deadLetters.replay`)
 * reaches this consumer only.
 */
import type { ActorSubscription, AnyActorDefinition } from '@lucent/actors/internal';
import { DEFAULT_RETRY_ON, deadLetterSubject, eventSubject, type RetryPolicy } from '@lucent/core/internal';
import {
  CRASH_REDELIVERIES,
  DEFAULT_EVENT_ACK_WAIT_MS,
  DEFAULT_EVENT_MAX_ACK_PENDING,
  type EventConsumerOptions,
  type EventConsumerPlan,
  eventConsumerName,
} from './event-consumer-plan.js';

/**
 * Deliveries to an actor are retried this way: an owner that is moving or taking a dead node's lease over answers
 * within seconds, so 8 attempts over ~25 s before the event is dead-lettered.
 */
export const ACTOR_DELIVERY_RETRY: RetryPolicy = Object.freeze({
  maxAttempts: 8,
  backoffMs: 250,
  multiplier: 2,
  maxBackoffMs: 8_000,
  retryOn: DEFAULT_RETRY_ON,
});

/** A consumer of one actor type's subscription. */
export interface ActorSubscriptionPlan extends EventConsumerPlan {
  readonly actorType: string;
  readonly subscription: ActorSubscription;
}

/** The handler name of actor type `type`'s consumers (dead letters and replays). */
export function actorHandlerName(type: string): string {
  return `actor-${type}`;
}

/** The consumers for every subscription of `definitions`, sorted by name. Pure; throws `ConfigError` for bad names. */
export function planActorSubscriptions(
  definitions: readonly AnyActorDefinition[],
  options: EventConsumerOptions,
): ActorSubscriptionPlan[] {
  const plans: ActorSubscriptionPlan[] = [];
  for (const definition of definitions) {
    for (const subscription of definition.subscriptions) {
      const functionName = actorHandlerName(definition.type);
      const name = eventConsumerName(functionName, subscription.eventType);
      plans.push({
        name,
        functionName,
        eventType: subscription.eventType,
        filterSubject: eventSubject(options.cluster, subscription.eventType),
        deadLetterSubject: deadLetterSubject(options.cluster, name),
        maxDeliver: ACTOR_DELIVERY_RETRY.maxAttempts,
        maxDeliveries: ACTOR_DELIVERY_RETRY.maxAttempts + CRASH_REDELIVERIES,
        ackWaitMs: options.ackWaitMs ?? DEFAULT_EVENT_ACK_WAIT_MS,
        maxAckPending: options.maxAckPending ?? DEFAULT_EVENT_MAX_ACK_PENDING,
        retry: ACTOR_DELIVERY_RETRY,
        actorType: definition.type,
        subscription,
      });
    }
  }
  return plans.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
