/**
 * A node's side of actor subscriptions (`defineActor({ subscribe })`): every node hosting an actor type consumes
 * the type's durable consumers (shared, so each event is handled by one node), decides on that node where the
 * event goes (`when`, `idFrom`: `decideSubscribedDelivery`), and tells the owning actor through a routed ask.
 *
 * ```
 *  delivery ─► decode ─► decide ─skip─────────────────────────────────────────► ack
 *                          │ deliver (id, { type, data, eventId })
 *                          ▼
 *              ask <type>/<id> (messageId <eventId>>actor-<type>) ─stored─► ack
 *                          │ failed / timed out
 *                          ▼
 *              decideFailedDelivery ─► nak(delay) │ dead letter (stored) ─► term
 * ```
 * The ask resolves once the actor stored the snapshot that includes the event (`persist: 'durable'`, the
 * default), so an acknowledged event is one the actor holds. Redeliveries carry the same message id, which the
 * actor's dedup window applies once. An ask is bounded by two thirds of the ack wait, so a slow owner costs a
 * retry, not a redelivery elsewhere while it is still running. Each outcome (delivered, filtered by `when`, retried,
 * dead-lettered) is counted per actor type and event type in `lucent_actor_subscription_events_total`.
 */
import type { AnyActorDefinition } from '@lucent/actors/internal';
import { decideSubscribedDelivery } from '@lucent/actors/internal';
import { toLucentError, type ViewSource } from '@lucent/core/internal';
import type { LucentClient } from '../client/lucent-client.js';
import { ActorSubscriptionMetrics, type SubscriptionCounters } from '../metrics/actor-subscription-metrics.js';
import { loadActorDefinitions } from '../modules/load-actor-definitions.js';
import { InFlight } from '../router/in-flight.js';
import { nodeClient } from '../shard/node-client.js';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';
import { type ActorSubscriptionPlan, planActorSubscriptions } from './actor-subscription-plan.js';
import { storeConsumerDeadLetter } from './consumer-dead-letter.js';
import { exhaustedDelivery } from './dead-letter.js';
import { decideFailedDelivery } from './event-consumer-plan.js';
import type { EventLog, EventLogDelivery, EventLogSubscription } from './event-log.js';
import { eventLogFor } from './event-log-for.js';
import { decodeEventMessage } from './event-message.js';

/** Options of {@link ActorSubscriptionsExtension}. */
export interface ActorSubscriptionsOptions {
  /** The view asks are routed with (default: the client's own: subjects only). */
  readonly view?: ViewSource;
  /** Called after an event was stored by actor `type`/`id` (the saga driver wakes its waits with it). */
  readonly onDelivered?: (type: string, id: string) => void;
}

/** See the module doc. */
export class ActorSubscriptionsExtension implements ShardExtension {
  readonly name = 'actor-subscriptions';
  readonly #options: ActorSubscriptionsOptions;
  readonly #subscriptions: EventLogSubscription[] = [];
  readonly #inFlight = new InFlight();
  #context: ShardContext | undefined = undefined;
  #client: LucentClient | undefined = undefined;
  #log: EventLog | undefined = undefined;
  #unwatch: (() => void) | undefined = undefined;
  #stopped = false;
  /** The consumers this node serves. */
  plans: readonly ActorSubscriptionPlan[] = [];
  /** Counters per consumer (`lucent_actor_subscription_events_total`), bound at start. */
  readonly #counters = new Map<ActorSubscriptionPlan, SubscriptionCounters>();

  constructor(options: ActorSubscriptionsOptions = {}) {
    this.#options = options;
  }

  /** Creates the consumers of the types this node hosts (idempotent) and starts consuming. */
  async start(context: ShardContext): Promise<void> {
    const definitions: AnyActorDefinition[] = await loadActorDefinitions(context.config.actors);
    const { config } = context;
    this.plans = planActorSubscriptions(definitions, {
      cluster: context.cluster,
      ackWaitMs: config.eventAckWaitMs,
      maxAckPending: config.eventMaxAckPending,
    });
    if (this.plans.length === 0) return;
    const metrics = new ActorSubscriptionMetrics(context.metrics.registry);
    for (const plan of this.plans) {
      this.#counters.set(plan, metrics.forSubscription(plan.actorType, plan.subscription.eventType));
    }
    this.#context = context;
    this.#client = nodeClient(context, this.#options.view);
    const log = await eventLogFor(context.transport, {
      cluster: context.cluster,
      replicas: config.natsReplicas,
      duplicateWindowMs: config.eventDuplicateWindowMs,
      clock: context.clock,
    });
    this.#log = log;
    await log.ensureStreams();
    const byName = new Map(this.plans.map((plan) => [plan.name, plan]));
    for (const plan of this.plans) await log.ensureConsumer(plan);
    this.#unwatch = await log.watchMaxDeliveries((name, sequence, deliveries) => {
      const plan = byName.get(name);
      if (plan !== undefined) void this.#exhausted(plan, sequence, deliveries);
    });
    for (const plan of this.plans) {
      this.#subscriptions.push(await log.consume(plan, (delivery) => void this.#run(plan, delivery)));
    }
  }

  /** Takes no more deliveries (the node is leaving: its actors move); unsettled ones go to another node. */
  async beginShutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unwatch?.();
    for (const subscription of this.#subscriptions) await subscription.stop().catch(() => undefined);
  }

  /** Waits for the deliveries in progress (each bounded by its ask's timeout). */
  async stop(): Promise<void> {
    await this.beginShutdown();
    await this.#inFlight.drained();
  }

  async #run(plan: ActorSubscriptionPlan, delivery: EventLogDelivery): Promise<void> {
    if (delivery.handler !== undefined && delivery.handler !== plan.functionName) {
      delivery.ack();
      return;
    }
    const context = this.#context!;
    const counters = this.#counters.get(plan)!;
    this.#inFlight.begin();
    let eventId = '';
    try {
      for (const event of decodeEventMessage(delivery.data, context.codec)) {
        eventId = event.id;
        const decision = decideSubscribedDelivery(plan.actorType, plan.subscription, event.id, event.payload);
        if (decision.type === 'skip') {
          counters.filtered.inc();
          continue;
        }
        await this.#client!.actor(plan.actorType, decision.id).ask(decision.message, {
          messageId: `${event.id}>${plan.functionName}`,
          timeoutMs: Math.max(1, Math.floor((plan.ackWaitMs * 2) / 3)),
        });
        counters.delivered.inc();
        this.#options.onDelivered?.(plan.actorType, decision.id);
      }
      delivery.ack();
    } catch (thrown) {
      await this.#failed(plan, delivery, eventId, toLucentError(thrown, plan.functionName));
    } finally {
      this.#inFlight.end();
    }
  }

  async #failed(
    plan: ActorSubscriptionPlan,
    delivery: EventLogDelivery,
    eventId: string,
    error: { code: string; message: string },
  ): Promise<void> {
    if (this.#stopped) {
      delivery.nak(0);
      return;
    }
    const action = decideFailedDelivery(plan, delivery.attempt);
    if (action.type === 'retry') {
      delivery.nak(action.delayMs);
      this.#counters.get(plan)?.retried.inc();
      this.#context?.logger.debug({ err: error, consumer: plan.name, attempt: delivery.attempt }, 'event.retry');
      return;
    }
    try {
      await this.#deadLetter(plan, delivery.sequence, delivery.data, eventId, delivery.attempt, error);
      delivery.term();
    } catch (publishError) {
      // Not stored: left unsettled; the MAX_DELIVERIES advisory path stores it later.
      this.#context?.logger.warn({ err: publishError, consumer: plan.name }, 'event.dead_letter_failed');
    }
  }

  async #deadLetter(
    plan: ActorSubscriptionPlan,
    sequence: number,
    original: Uint8Array,
    eventId: string,
    attempts: number,
    error: { code: string; message: string },
  ): Promise<void> {
    const context = this.#context!;
    await storeConsumerDeadLetter(this.#log!, plan, {
      sequence,
      original,
      eventId,
      attempts,
      error,
      failedAt: context.clock.wallNow(),
      node: context.nodeId,
    });
    this.#counters.get(plan)?.deadLettered.inc();
    context.logger.warn({ consumer: plan.name, eventId, attempts, code: error.code }, 'event.dead_lettered');
  }

  /** The last delivery of `sequence` got no answer (its node died): dead-letter it, never drop it silently. */
  async #exhausted(plan: ActorSubscriptionPlan, sequence: number, deliveries: number): Promise<void> {
    try {
      const original = await this.#log!.eventMessage(sequence);
      if (original === undefined) return;
      const { eventId, error } = exhaustedDelivery(original, deliveries, this.#context!.codec);
      await this.#deadLetter(plan, sequence, original, eventId, deliveries, error);
    } catch (error) {
      this.#context?.logger.warn({ err: error, consumer: plan.name, sequence }, 'event.dead_letter_failed');
    }
  }
}
