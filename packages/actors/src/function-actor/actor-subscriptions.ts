/**
 * Durable event subscriptions of an actor type (`defineActor({ subscribe })`): which event types of the cluster's
 * durable stream its actors receive, which actor of the type each event goes to (`idFrom`), and an optional
 * conditional trigger (`when`). Like Orleans' implicit stream subscriptions and Dapr's actor pub/sub, the actor
 * need not exist or be active: the event activates it.
 *
 * ```
 *  event (type T, data) ─► when(data, T)? ─no─► skipped (done)
 *                                 │ yes
 *                                 ▼
 *               idFrom(data, T) ─► tell actor <type>/<id> { type: T, data, eventId }   (acknowledged once stored)
 * ```
 * Both functions are pure and synchronous, and run on the node that consumes the event (not on the actor's
 * node), before anything is sent. Validated here; the node's `ActorSubscriptionsExtension` consumes the stream.
 */
import { ConfigError, isValidName } from '@lucent/core/internal';

/** What an actor receives for a subscribed event: the event type as the xstate event type, its data and id. */
export interface SubscribedEvent<D = unknown, T extends string = string> {
  readonly type: T;
  readonly data: D;
  /** The durable event's id: the same on every redelivery (the actor applies it at most once). */
  readonly eventId: string;
}

/** One subscription as declared. */
export interface ActorSubscriptionSpec<D = never> {
  /** The id of the actor that gets the event (a non-empty string); a throw fails the delivery (retried). */
  idFrom(data: D, type: string): string;
  /** Only events for which this is true are delivered; others are acknowledged and dropped. */
  when?(data: D, type: string): boolean;
}

/** `subscribe` as declared: event type → subscription. */
export type ActorSubscriptionsSpec = { readonly [eventType: string]: ActorSubscriptionSpec };

/** A resolved subscription. */
export interface ActorSubscription {
  readonly eventType: string;
  readonly idFrom: (data: unknown, type: string) => string;
  readonly when: ((data: unknown, type: string) => boolean) | undefined;
}

/**
 * Validates `spec` (event types are names as function names are; `idFrom` a function; `when` a function when
 * given). Throws `ConfigError` with field `subscribe` / `subscribe.<type>.idFrom` / `.when`.
 */
export function resolveActorSubscriptions(
  spec: ActorSubscriptionsSpec | undefined,
  subject: string,
): readonly ActorSubscription[] {
  if (spec === undefined) return Object.freeze([]);
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ConfigError({ subject, field: 'subscribe', reason: 'expected { [eventType]: { idFrom, when? } }' });
  }
  const subscriptions: ActorSubscription[] = [];
  for (const [eventType, entry] of Object.entries(spec)) {
    const field = `subscribe.${eventType}`;
    if (!isValidName(eventType)) throw new ConfigError({ subject, field, reason: 'not a valid event type' });
    if (typeof entry?.idFrom !== 'function') {
      throw new ConfigError({ subject, field: `${field}.idFrom`, reason: 'must be a function (data) => id' });
    }
    if (entry.when !== undefined && typeof entry.when !== 'function') {
      throw new ConfigError({ subject, field: `${field}.when`, reason: 'must be a function (data) => boolean' });
    }
    const { idFrom, when } = entry as ActorSubscriptionSpec<unknown>;
    subscriptions.push(
      Object.freeze({
        eventType,
        idFrom: (data: unknown, type: string) => idFrom(data, type),
        when: when === undefined ? undefined : (data: unknown, type: string) => when(data, type) === true,
      }),
    );
  }
  return Object.freeze(subscriptions);
}

/** What to do with one event for one subscription: a closed set on `type`. */
export type SubscribedDelivery =
  | { readonly type: 'skip' }
  | { readonly type: 'deliver'; readonly id: string; readonly message: SubscribedEvent };

const SKIP: SubscribedDelivery = Object.freeze({ type: 'skip' });

/**
 * Decides where event `eventId` of `subscription.eventType` with `data` goes (pure). Throws what `when` or `idFrom`
 * throw, and `ConfigError` (field `idFrom`) when `idFrom` returns anything but a non-empty string.
 */
export function decideSubscribedDelivery(
  actorType: string,
  subscription: ActorSubscription,
  eventId: string,
  data: unknown,
): SubscribedDelivery {
  const type = subscription.eventType;
  if (subscription.when !== undefined && !subscription.when(data, type)) return SKIP;
  const id = subscription.idFrom(data, type);
  if (typeof id !== 'string' || id === '') {
    throw new ConfigError({
      subject: `actor type '${actorType}'`,
      field: `subscribe.${type}.idFrom`,
      reason: `returned ${JSON.stringify(id) ?? String(id)}, expected a non-empty string`,
    });
  }
  return { type: 'deliver', id, message: { type, data, eventId } };
}
