/**
 * A node's side of durable events: one durable consumer per (function, event type) it serves, created
 * idempotently at start, and the run of each delivery.
 *
 * ```
 *  delivery (attempt n) ─► decode ─► runner.call(fn, payload, { event: { id, attempt: n } })
 *        │                                   │ ok                         │ failed
 *        │                        publish `${fn}Completed` (stored)       decideFailedDelivery(plan, n)
 *        │                                   │                             ├─ retry ──► nak(delay)
 *        │                                  ack                            └─ dead-letter ─► DLQ record (stored),
 *        │                                                                   `${fn}Failed` (stored) ─► term
 *        └─ replayed for another handler (header) ─► ack (not ours)
 *  MAX_DELIVERIES advisory (last delivery lost: node died) ─► DLQ record with LUCENT_DELIVERY_EXHAUSTED
 * ```
 * At least once: a node that dies before the ack leaves the delivery to the ack wait, then another node gets
 * it (the same event id, a higher attempt). `Completed`, `Failed` and dead letters carry ids derived from the
 * event id, so a repeated run stores them once (within the duplicate window). A running handler is kept
 * alive with `working()` every third of the ack wait, by one timer for the whole node.
 */
import {
  type Clock,
  checkInput,
  correlationOf,
  type EnvelopeCodec,
  eventEnvelope,
  eventSubject,
  type FunctionRegistry,
  type LucentError,
  ShuttingDownError,
  type TimerHandle,
  toLucentError,
} from '@lucent/core/internal';
import type { Logger } from '../logging.js';
import type { ConsumerEventMetrics, EventMetrics } from '../metrics/event-metrics.js';
import type { EffectsSink } from '../pool/call-effects.js';
import { completedEventType, failedEventType } from '../router/event-dispatcher.js';
import type { FunctionRunner } from '../router/function-runner.js';
import { InFlight } from '../router/in-flight.js';
import { endWhenSettled, startEventRunSpan, traceparentOf } from '../tracing/lucent-spans.js';
import { storeConsumerDeadLetter } from './consumer-dead-letter.js';
import { exhaustedDelivery } from './dead-letter.js';
import {
  DEFAULT_EVENT_ACK_WAIT_MS,
  decideFailedDelivery,
  type EventConsumerOptions,
  type EventConsumerPlan,
  eventHandlerOf,
  planEventConsumers,
} from './event-consumer-plan.js';
import type { EventLog, EventLogDelivery, EventLogSubscription } from './event-log.js';
import { decodeEventMessage, encodeEventMessage } from './event-message.js';

export { DELIVERY_EXHAUSTED_CODE } from './dead-letter.js';

/** Options of {@link DurableEventConsumers}. */
export interface DurableEventConsumersOptions extends EventConsumerOptions {
  readonly nodeId: string;
  readonly log: EventLog;
  readonly functions: FunctionRegistry;
  readonly runner: FunctionRunner;
  readonly codec: EnvelopeCodec;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly metrics?: EventMetrics;
  /** Where runs' log records and emitted events go (`router/run-effects.ts`); none: dropped. */
  readonly effects?: EffectsSink;
}

/** One consumer this node serves: its plan, counters and the bound delivery handler. */
class ServedConsumer {
  readonly handle: (delivery: EventLogDelivery) => void;
  subscription: EventLogSubscription | undefined = undefined;

  constructor(
    readonly plan: EventConsumerPlan,
    readonly metrics: ConsumerEventMetrics | undefined,
    owner: DurableEventConsumers,
  ) {
    this.handle = (delivery) => void owner.run(this, delivery);
  }
}

/** See the module doc. `start()` at node start, `refresh()` when the functions change, `stop()` at shutdown. */
export class DurableEventConsumers {
  #plans: readonly EventConsumerPlan[];
  readonly #options: DurableEventConsumersOptions;
  readonly #consumers = new Map<string, ServedConsumer>();
  #started = false;
  /** The refresh under way (refreshes run one at a time, in order). */
  #refreshing: Promise<void> = Promise.resolve();
  readonly #running = new Set<EventLogDelivery>();
  readonly #inFlight = new InFlight();
  #keepAlive: TimerHandle | undefined = undefined;
  #unwatch: (() => void) | undefined = undefined;
  #stopped = false;
  /** Deliveries handled and acknowledged, over all consumers. */
  handled = 0;
  /** Deliveries dead-lettered by this node. */
  deadLettered = 0;
  /** Events a function's `when` filter skipped (acknowledged without a run). */
  skipped = 0;

  /** Throws `ConfigError` for invalid options or consumer names that collide. */
  constructor(options: DurableEventConsumersOptions) {
    this.#options = options;
    this.#plans = planEventConsumers(options.functions, options);
    for (const plan of this.#plans) {
      this.#consumers.set(plan.name, new ServedConsumer(plan, options.metrics?.forConsumer(plan.name), this));
    }
  }

  /** The consumers this node serves now, sorted by name. */
  get plans(): readonly EventConsumerPlan[] {
    return this.#plans;
  }

  /**
   * Creates the streams and this node's consumers (idempotent: existing ones are kept, their settings updated)
   * and starts consuming. Rejects with `NodeUnavailableError` / `TimeoutError` when the log does not answer.
   */
  async start(): Promise<void> {
    await this.#options.log.ensureStreams();
    this.#started = true;
    for (const consumer of this.#consumers.values()) await this.#serve(consumer);
  }

  /**
   * Brings the served consumers in line with the functions as they are now (the deployed registry added,
   * enabled, disabled or retired versions): consumers of handlers that appeared are created and consumed, those
   * of handlers gone (no enabled version handles the type any more) stop taking deliveries here (their runs in
   * progress finish; the durable consumer stays for the cluster), and a changed retry policy updates the
   * consumer. One refresh at a time, in call order. Rejects like {@link start} when the log does not answer (the
   * consumers that could not be served are tried again by the next refresh); `ConfigError` when names collide.
   */
  refresh(): Promise<void> {
    const next = this.#refreshing.then(() => this.#refresh());
    this.#refreshing = next.catch(() => undefined);
    return next;
  }

  async #refresh(): Promise<void> {
    if (this.#stopped || !this.#started) return;
    const plans = planEventConsumers(this.#options.functions, this.#options);
    this.#plans = plans;
    const wanted = new Map(plans.map((plan) => [plan.name, plan]));
    for (const [name, consumer] of this.#consumers) {
      const plan = wanted.get(name);
      if (plan !== undefined && samePlan(plan, consumer.plan)) continue;
      // Gone or changed: stop taking its deliveries (a changed one is served again below with its new plan).
      this.#consumers.delete(name);
      await consumer.subscription?.stop().catch(() => undefined);
    }
    for (const plan of plans) {
      if (this.#consumers.has(plan.name) || this.#stopped) continue;
      const consumer = new ServedConsumer(plan, this.#options.metrics?.forConsumer(plan.name), this);
      this.#consumers.set(plan.name, consumer);
      try {
        await this.#serve(consumer);
      } catch (error) {
        this.#consumers.delete(plan.name);
        throw error;
      }
    }
  }

  /** Creates `consumer` on the log (idempotent) and starts taking its deliveries. */
  async #serve(consumer: ServedConsumer): Promise<void> {
    const log = this.#options.log;
    await log.ensureConsumer(consumer.plan);
    this.#unwatch ??= await log.watchMaxDeliveries((name, sequence, deliveries) => {
      const served = this.#consumers.get(name);
      if (served !== undefined) void this.#exhausted(served, sequence, deliveries);
    });
    const subscription = await log.consume(consumer.plan, consumer.handle);
    // Stopped or replaced meanwhile: give the subscription back at once.
    if (this.#stopped || this.#consumers.get(consumer.plan.name) !== consumer) {
      await subscription.stop().catch(() => undefined);
      return;
    }
    consumer.subscription = subscription;
    if (this.#keepAlive === undefined) this.#scheduleKeepAlive();
  }

  /** Deliveries being run now. */
  get inFlight(): number {
    return this.#inFlight.count;
  }

  /**
   * Stops taking deliveries and waits (up to `timeoutMs`) for the runs in progress to settle. Deliveries not
   * acknowledged by then are redelivered elsewhere after the ack wait. Idempotent; never rejects.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unwatch?.();
    for (const consumer of this.#consumers.values()) await consumer.subscription?.stop().catch(() => undefined);
    await this.#inFlight.drained();
    if (this.#keepAlive !== undefined) this.#options.clock.clearTimeout(this.#keepAlive);
    this.#keepAlive = undefined;
  }

  /** @internal Runs one delivery to its settlement (the module diagram). Never rejects. */
  async run(consumer: ServedConsumer, delivery: EventLogDelivery): Promise<void> {
    const { plan } = consumer;
    if (delivery.handler !== undefined && delivery.handler !== plan.functionName) {
      delivery.ack();
      return;
    }
    const { codec, runner, log, nodeId } = this.#options;
    this.#inFlight.begin();
    this.#running.add(delivery);
    let eventId = '';
    let correlationId = '';
    try {
      const events = decodeEventMessage(delivery.data, codec);
      for (const event of events) {
        eventId = event.id;
        correlationId = correlationOf(event);
        // An input schema applies to event data as to call input: bad data fails the run (and, once its
        // deliveries are spent, lands in the dead letters) without running the handler.
        const definition = eventHandlerOf(this.#options.functions, plan.functionName, plan.eventType);
        // A conditional trigger (`when`) decides on this node, before any run: a skipped event is done.
        if (definition?.when !== undefined && !definition.when(event.payload, plan.eventType)) {
          this.skipped++;
          continue;
        }
        const input =
          definition?.input === undefined
            ? event.payload
            : await checkInput(definition.name, definition.input, event.payload);
        // The run's span is a child of the event's trace; `Completed` carries the run's traceparent on.
        const span = startEventRunSpan(event, plan.functionName, nodeId);
        // Read while the span records (an ended one no longer does, and would pass the event's value on).
        const traceparent = traceparentOf(span, event.traceparent);
        // A bare name when the active version handles the type: a runner with versions side by side chooses among
        // those that handle it (`eventType`); else the version that does.
        const ref =
          definition === undefined || definition === this.#options.functions.find(plan.functionName)
            ? plan.functionName
            : definition.id;
        const run = runner.call(ref, input, {
          ...(event.deadline === 0 ? {} : { deadline: event.deadline }),
          event: { id: event.id, attempt: delivery.attempt },
          eventType: plan.eventType,
          request: event,
          ...(this.#options.effects === undefined ? {} : { effects: this.#options.effects }),
        });
        const result = await endWhenSettled(span, run);
        const type = completedEventType(plan.functionName);
        const completed = eventEnvelope(type, result, {
          id: `${event.id}.${plan.functionName}`,
          origin: nodeId,
          traceparent,
          correlationId: correlationOf(event),
          causationId: event.id,
        });
        await log.publish(eventSubject(this.#options.cluster, type), encodeEventMessage(completed, codec), {
          msgId: completed.id,
        });
      }
      delivery.ack();
      this.handled++;
      consumer.metrics?.handled.inc();
    } catch (thrown) {
      await this.#failed(consumer, delivery, eventId, correlationId, toLucentError(thrown, plan.functionName));
    } finally {
      this.#running.delete(delivery);
      this.#inFlight.end();
    }
  }

  async #failed(
    consumer: ServedConsumer,
    delivery: EventLogDelivery,
    eventId: string,
    correlationId: string,
    error: LucentError,
  ) {
    const { plan } = consumer;
    if (ShuttingDownError.is(error) || this.#stopped) {
      // This node is going away, the handler did not fail: give the delivery back for another node at once.
      delivery.nak(0);
      return;
    }
    const action = decideFailedDelivery(plan, delivery.attempt);
    if (action.type === 'retry') {
      delivery.nak(action.delayMs);
      consumer.metrics?.retried.inc();
      this.#options.logger?.debug(
        { err: error, consumer: plan.name, attempt: delivery.attempt, delayMs: action.delayMs },
        'event.retry',
      );
      return;
    }
    try {
      await this.#deadLetter(
        consumer,
        delivery.sequence,
        delivery.data,
        eventId,
        delivery.attempt,
        error,
        correlationId,
      );
      delivery.term();
    } catch (publishError) {
      // Not stored: leave the delivery unsettled; its ack wait ends in the MAX_DELIVERIES path, which retries this.
      this.#options.logger?.warn({ err: publishError, consumer: plan.name }, 'event.dead_letter_failed');
    }
  }

  /** Stores the dead letter and the `Failed` event; rejects when either is not stored. */
  async #deadLetter(
    consumer: ServedConsumer,
    sequence: number,
    original: Uint8Array,
    eventId: string,
    attempts: number,
    error: { readonly code: string; readonly message: string; toWire?: () => unknown },
    correlationId = '',
  ): Promise<void> {
    const { plan } = consumer;
    const { log, codec, nodeId, clock } = this.#options;
    await storeConsumerDeadLetter(log, plan, {
      sequence,
      original,
      eventId,
      attempts,
      error: { code: error.code, message: error.message },
      failedAt: clock.wallNow(),
      node: nodeId,
    });
    const type = failedEventType(plan.functionName);
    // The typed error (code, name, message, details) when the run raised one; code and message otherwise.
    const wire = typeof error.toWire === 'function' ? error.toWire() : { code: error.code, message: error.message };
    const failed = eventEnvelope(
      type,
      { eventId, eventType: plan.eventType, attempts, error: wire },
      {
        id: `${eventId || `seq-${sequence}`}.${plan.functionName}.failed`,
        origin: nodeId,
        correlationId: correlationId === '' ? eventId : correlationId,
        causationId: eventId,
      },
    );
    await log.publish(eventSubject(this.#options.cluster, type), encodeEventMessage(failed, codec), {
      msgId: failed.id,
    });
    this.deadLettered++;
    consumer.metrics?.deadLettered.inc();
    this.#options.logger?.warn(
      { consumer: plan.name, eventId, attempts, code: error.code, sequence },
      'event.dead_lettered',
    );
  }

  /** The last delivery of `sequence` got no answer: dead-letter it (every watching node may; deduplicated). */
  async #exhausted(consumer: ServedConsumer, sequence: number, deliveries: number): Promise<void> {
    try {
      const original = await this.#options.log.eventMessage(sequence);
      if (original === undefined) return;
      const { eventId, error } = exhaustedDelivery(original, deliveries, this.#options.codec);
      await this.#deadLetter(consumer, sequence, original, eventId, deliveries, error);
    } catch (error) {
      this.#options.logger?.warn({ err: error, consumer: consumer.plan.name, sequence }, 'event.dead_letter_failed');
    }
  }

  #scheduleKeepAlive(): void {
    if (this.#stopped) return;
    // The ack wait is one cluster-wide setting: every plan has it.
    const period = Math.max(1, Math.floor((this.#options.ackWaitMs ?? DEFAULT_EVENT_ACK_WAIT_MS) / 3));
    this.#keepAlive = this.#options.clock.setTimeout(this.#tick, period);
    (this.#keepAlive as { unref?: () => void }).unref?.();
  }

  readonly #tick = (): void => {
    for (const delivery of this.#running) delivery.working();
    this.#scheduleKeepAlive();
  };
}

/** True when serving `a` needs nothing `b` did not (same type, function, settings and retry policy). */
function samePlan(a: EventConsumerPlan, b: EventConsumerPlan): boolean {
  return (
    a.filterSubject === b.filterSubject &&
    a.functionName === b.functionName &&
    a.maxDeliver === b.maxDeliver &&
    a.ackWaitMs === b.ackWaitMs &&
    a.maxAckPending === b.maxAckPending &&
    a.retry.maxAttempts === b.retry.maxAttempts &&
    a.retry.backoffMs === b.retry.backoffMs &&
    a.retry.multiplier === b.retry.multiplier &&
    a.retry.maxBackoffMs === b.retry.maxBackoffMs
  );
}
