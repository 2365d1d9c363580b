/**
 * A node's side of actor subscriptions (`defineActor({ subscribe })`, of `--actors` types and of the deployed types
 * the registry gives it through `refresh`): every node hosting an actor type consumes
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

/** A consumer served by this node: its plan (replaced in place by a refresh) and its bound counters. */
interface ServedSubscription {
  plan: ActorSubscriptionPlan;
  readonly subscription: EventLogSubscription;
  readonly counters: SubscriptionCounters;
}

/** See the module doc. */
export class ActorSubscriptionsExtension implements ShardExtension {
  readonly name = 'actor-subscriptions';
  readonly #options: ActorSubscriptionsOptions;
  /** The consumers served now, by name (a refresh replaces a plan in place: deliveries read it then). */
  readonly #served = new Map<string, ServedSubscription>();
  readonly #inFlight = new InFlight();
  #context: ShardContext | undefined = undefined;
  #client: LucentClient | undefined = undefined;
  #log: EventLog | undefined = undefined;
  #metrics: ActorSubscriptionMetrics | undefined = undefined;
  #unwatch: (() => void) | undefined = undefined;
  #stopped = false;
  /** The `--actors` definitions (read at start) and the deployed ones (the registry's, see {@link refresh}). */
  #static: readonly AnyActorDefinition[] = [];
  #deployed: readonly AnyActorDefinition[] = [];
  #syncing: Promise<void> = Promise.resolve();
  /** The consumers this node serves. */
  plans: readonly ActorSubscriptionPlan[] = [];

  constructor(options: ActorSubscriptionsOptions = {}) {
    this.#options = options;
  }

  /** Creates the consumers of the types this node hosts (idempotent) and starts consuming. */
  async start(context: ShardContext): Promise<void> {
    this.#static = await loadActorDefinitions(context.config.actors);
    this.#context = context;
    const first = this.#sync();
    this.#syncing = first.catch(() => undefined);
    await first;
  }

  /**
   * The deployed actor types this node hosts now (`DeployedActors`): their subscriptions are consumed like those
   * of `--actors` types, those of types no longer hosted stop here, and a new version's subscription (its
   * `idFrom`, `when`) applies to the deliveries after. One refresh at a time, in call order; before `start`, kept
   * for it. Rejects when the event log does not answer (the next refresh tries again).
   */
  refresh(deployed: readonly AnyActorDefinition[]): Promise<void> {
    this.#deployed = deployed;
    if (this.#context === undefined) return Promise.resolve();
    const next = this.#syncing.then(() => this.#sync());
    this.#syncing = next.catch(() => undefined);
    return next;
  }

  async #sync(): Promise<void> {
    const context = this.#context;
    if (context === undefined || this.#stopped) return;
    const { config } = context;
    // A deployed type replaces an `--actors` type of the same name (as `FunctionActors.define` does).
    const deployedTypes = new Set(this.#deployed.map((definition) => definition.type));
    const definitions = [...this.#static.filter((d) => !deployedTypes.has(d.type)), ...this.#deployed];
    const plans = planActorSubscriptions(definitions, {
      cluster: context.cluster,
      ackWaitMs: config.eventAckWaitMs,
      maxAckPending: config.eventMaxAckPending,
    });
    this.plans = plans;
    const wanted = new Map(plans.map((plan) => [plan.name, plan]));
    for (const [name, served] of this.#served) {
      const plan = wanted.get(name);
      if (plan !== undefined) {
        served.plan = plan;
        continue;
      }
      this.#served.delete(name);
      await served.subscription.stop().catch(() => undefined);
    }
    if (plans.length === 0) return;
    this.#client ??= nodeClient(context, this.#options.view);
    this.#metrics ??= new ActorSubscriptionMetrics(context.metrics.registry);
    const log = this.#log ?? (await this.#openLog(context));
    for (const plan of plans) {
      if (this.#served.has(plan.name) || this.#stopped) continue;
      await log.ensureConsumer(plan);
      const name = plan.name;
      const subscription = await log.consume(plan, (delivery) => void this.#run(name, delivery));
      const counters = this.#metrics.forSubscription(plan.actorType, plan.subscription.eventType);
      this.#served.set(name, { plan, subscription, counters });
    }
  }

  async #openLog(context: ShardContext): Promise<EventLog> {
    const { config } = context;
    const log = await eventLogFor(context.transport, {
      cluster: context.cluster,
      replicas: config.natsReplicas,
      duplicateWindowMs: config.eventDuplicateWindowMs,
      clock: context.clock,
    });
    await log.ensureStreams();
    this.#unwatch = await log.watchMaxDeliveries((name, sequence, deliveries) => {
      const served = this.#served.get(name);
      if (served !== undefined) void this.#exhausted(served, sequence, deliveries);
    });
    this.#log = log;
    return log;
  }

  /** Takes no more deliveries (the node is leaving: its actors move); unsettled ones go to another node. */
  async beginShutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unwatch?.();
    for (const served of this.#served.values()) await served.subscription.stop().catch(() => undefined);
  }

  /** Waits for the deliveries in progress (each bounded by its ask's timeout). */
  async stop(): Promise<void> {
    await this.beginShutdown();
    await this.#inFlight.drained();
  }

  async #run(name: string, delivery: EventLogDelivery): Promise<void> {
    const served = this.#served.get(name);
    if (served === undefined) {
      // No longer served here (its type was retired): another node hosting it takes it.
      delivery.nak(0);
      return;
    }
    const { plan, counters } = served;
    if (delivery.handler !== undefined && delivery.handler !== plan.functionName) {
      delivery.ack();
      return;
    }
    const context = this.#context!;
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
      await this.#failed(served, delivery, eventId, toLucentError(thrown, plan.functionName));
    } finally {
      this.#inFlight.end();
    }
  }

  async #failed(
    served: ServedSubscription,
    delivery: EventLogDelivery,
    eventId: string,
    error: { code: string; message: string },
  ): Promise<void> {
    if (this.#stopped) {
      delivery.nak(0);
      return;
    }
    const { plan } = served;
    const action = decideFailedDelivery(plan, delivery.attempt);
    if (action.type === 'retry') {
      delivery.nak(action.delayMs);
      served.counters.retried.inc();
      this.#context?.logger.debug({ err: error, consumer: plan.name, attempt: delivery.attempt }, 'event.retry');
      return;
    }
    try {
      await this.#deadLetter(served, delivery.sequence, delivery.data, eventId, delivery.attempt, error);
      delivery.term();
    } catch (publishError) {
      // Not stored: left unsettled; the MAX_DELIVERIES advisory path stores it later.
      this.#context?.logger.warn({ err: publishError, consumer: plan.name }, 'event.dead_letter_failed');
    }
  }

  async #deadLetter(
    served: ServedSubscription,
    sequence: number,
    original: Uint8Array,
    eventId: string,
    attempts: number,
    error: { code: string; message: string },
  ): Promise<void> {
    const context = this.#context!;
    const { plan } = served;
    await storeConsumerDeadLetter(this.#log!, plan, {
      sequence,
      original,
      eventId,
      attempts,
      error,
      failedAt: context.clock.wallNow(),
      node: context.nodeId,
    });
    served.counters.deadLettered.inc();
    context.logger.warn({ consumer: plan.name, eventId, attempts, code: error.code }, 'event.dead_lettered');
  }

  /** The last delivery of `sequence` got no answer (its node died): dead-letter it, never drop it silently. */
  async #exhausted(served: ServedSubscription, sequence: number, deliveries: number): Promise<void> {
    try {
      const original = await this.#log!.eventMessage(sequence);
      if (original === undefined) return;
      const { eventId, error } = exhaustedDelivery(original, deliveries, this.#context!.codec);
      await this.#deadLetter(served, sequence, original, eventId, deliveries, error);
    } catch (error) {
      this.#context?.logger.warn({ err: error, consumer: served.plan.name, sequence }, 'event.dead_letter_failed');
    }
  }
}
