/**
 * The in-memory twin of `JetStreamEventLog`: a real {@link EventLog} in this process, with the same delivery
 * semantics where they matter to handlers.
 *
 * Same: one log per cluster, deduplication by message id within a window, durable consumers shared by every
 * subscriber (each message to one of them, round-robin), explicit ack, `nak(delay)`, `term`, `working`, ack wait
 * (an unacknowledged delivery is redelivered, e.g. after `stop`), `max_deliver`, `max_ack_pending`, a
 * dead-letter log. A message published to the log is also published on the bus (when there is one), as a
 * JetStream publish is a NATS publish that plain subscribers see.
 * Different: nothing survives the process; there is no retention limit (messages stay until the log is
 * dropped); a delivery that exhausts `max_deliver` by ack timeout is handed to `onMaxDeliveries` (NATS sends an
 * advisory) instead of being left unacknowledged; timers run on the injected clock.
 */
import { type Clock, systemClock, type TimerHandle } from '@lucent/core/internal';
import type { InMemoryBus } from '../transport/in-memory-bus.js';
import { onePer } from '../transport/one-per-transport.js';
import { DEFAULT_EVENT_DUPLICATE_WINDOW_MS, type EventConsumerPlan } from './event-consumer-plan.js';
import type {
  EventLog,
  EventLogDelivery,
  EventLogHandler,
  EventLogSubscription,
  EventPublishOptions,
  MaxDeliveriesListener,
  StoredDeadLetter,
} from './event-log.js';

/** Options of {@link MemoryEventLog}. */
export interface MemoryEventLogOptions {
  /** Plain subscribers of event subjects on this bus see every stored message. */
  readonly bus?: InMemoryBus;
  readonly clock?: Clock;
  readonly duplicateWindowMs?: number;
}

interface StoredEvent {
  readonly sequence: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly handler: string | undefined;
}

/** One delivery in flight. */
class MemoryDelivery implements EventLogDelivery {
  readonly data: Uint8Array;
  readonly sequence: number;
  readonly handler: string | undefined;
  timer: TimerHandle | undefined = undefined;
  settled = false;

  constructor(
    readonly consumer: MemoryConsumer,
    readonly event: StoredEvent,
    readonly attempt: number,
  ) {
    this.data = event.data;
    this.sequence = event.sequence;
    this.handler = event.handler;
  }

  ack(): void {
    this.consumer.settle(this, -1);
  }

  nak(delayMs: number): void {
    this.consumer.settle(this, Math.max(0, delayMs));
  }

  term(): void {
    this.consumer.settle(this, -1);
  }

  working(): void {
    this.consumer.restartAckWait(this);
  }
}

/** A durable consumer's state. */
class MemoryConsumer {
  plan: EventConsumerPlan;
  /** Index into the log of the next message never delivered. */
  cursor = 0;
  /** Messages to deliver again, in order. */
  ready: StoredEvent[] = [];
  readonly deliveries = new Map<number, number>();
  readonly inFlight = new Set<MemoryDelivery>();
  handlers: EventLogHandler[] = [];
  turn = 0;

  constructor(
    readonly log: MemoryEventLog,
    plan: EventConsumerPlan,
  ) {
    this.plan = plan;
  }

  settle(delivery: MemoryDelivery, redeliverAfterMs: number): void {
    if (delivery.settled) return;
    delivery.settled = true;
    this.inFlight.delete(delivery);
    if (delivery.timer !== undefined) this.log.clock.clearTimeout(delivery.timer);
    if (redeliverAfterMs === 0) this.ready.push(delivery.event);
    else if (redeliverAfterMs > 0) {
      this.log.clock.setTimeout(() => {
        this.ready.push(delivery.event);
        this.log.schedulePump();
      }, redeliverAfterMs);
    }
    this.log.schedulePump();
  }

  restartAckWait(delivery: MemoryDelivery): void {
    if (delivery.settled) return;
    if (delivery.timer !== undefined) this.log.clock.clearTimeout(delivery.timer);
    delivery.timer = this.log.clock.setTimeout(() => this.#expired(delivery), this.plan.ackWaitMs);
  }

  #expired(delivery: MemoryDelivery): void {
    if (delivery.settled) return;
    delivery.settled = true;
    this.inFlight.delete(delivery);
    if (delivery.attempt >= this.plan.maxDeliveries) this.log.maxDeliveries(this.plan.name, delivery);
    else this.ready.push(delivery.event);
    this.log.schedulePump();
  }

  /** Hands out what it can; returns deliveries to run (outside the loop). */
  pump(out: [EventLogHandler, MemoryDelivery][]): void {
    if (this.handlers.length === 0) return;
    while (this.inFlight.size < this.plan.maxAckPending) {
      const event = this.#next();
      if (event === undefined) return;
      const attempt = (this.deliveries.get(event.sequence) ?? 0) + 1;
      if (attempt > this.plan.maxDeliveries) continue;
      this.deliveries.set(event.sequence, attempt);
      const delivery = new MemoryDelivery(this, event, attempt);
      this.inFlight.add(delivery);
      this.restartAckWait(delivery);
      const handler = this.handlers[this.turn++ % this.handlers.length]!;
      out.push([handler, delivery]);
    }
  }

  /** The consumer's filter: one subject, or a trailing `>` (every event, e.g. a `*` webhook sink). */
  #takes(subject: string): boolean {
    const filter = this.plan.filterSubject;
    return filter.endsWith('.>') ? subject.startsWith(filter.slice(0, -1)) : subject === filter;
  }

  #next(): StoredEvent | undefined {
    if (this.ready.length > 0) return this.ready.shift();
    const events = this.log.events;
    while (this.cursor < events.length) {
      const event = events[this.cursor++]!;
      if (this.#takes(event.subject)) return event;
    }
    return undefined;
  }
}

/** See the module doc. Use {@link memoryEventLogFor} to share one per bus and cluster. */
export class MemoryEventLog implements EventLog {
  readonly clock: Clock;
  readonly events: StoredEvent[] = [];
  readonly #bus: InMemoryBus | undefined;
  readonly #windowMs: number;
  readonly #msgIds = new Map<string, number>();
  readonly #consumers = new Map<string, MemoryConsumer>();
  readonly #deadLetters = new Map<number, StoredDeadLetter>();
  readonly #deadLetterIds = new Map<string, number>();
  #deadLetterSeq = 0;
  #pumpScheduled = false;
  readonly #maxDeliveryListeners = new Set<MaxDeliveriesListener>();

  constructor(options: MemoryEventLogOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.#bus = options.bus;
    this.#windowMs = options.duplicateWindowMs ?? DEFAULT_EVENT_DUPLICATE_WINDOW_MS;
  }

  ensureStreams(): Promise<void> {
    return Promise.resolve();
  }

  publish(subject: string, message: Uint8Array, options: EventPublishOptions): Promise<boolean> {
    const now = this.clock.now();
    const seen = this.#msgIds.get(options.msgId);
    if (seen !== undefined && now - seen < this.#windowMs) return Promise.resolve(true);
    this.#msgIds.set(options.msgId, now);
    // Copied: the caller may reuse its buffer; stored messages are immutable.
    const data = message.slice();
    this.events.push({ sequence: this.events.length + 1, subject, data, handler: options.handler });
    this.#bus?.publish(subject, data);
    this.schedulePump();
    return Promise.resolve(false);
  }

  ensureConsumer(plan: EventConsumerPlan): Promise<void> {
    const existing = this.#consumers.get(plan.name);
    if (existing === undefined) this.#consumers.set(plan.name, new MemoryConsumer(this, plan));
    else existing.plan = plan;
    return Promise.resolve();
  }

  async consume(plan: EventConsumerPlan, handler: EventLogHandler): Promise<EventLogSubscription> {
    await this.ensureConsumer(plan);
    const consumer = this.#consumers.get(plan.name)!;
    consumer.handlers.push(handler);
    this.schedulePump();
    return {
      stop: () => {
        consumer.handlers = consumer.handlers.filter((h) => h !== handler);
        return Promise.resolve();
      },
    };
  }

  consumerNames(): Promise<string[]> {
    return Promise.resolve([...this.#consumers.keys()].sort());
  }

  removeConsumer(name: string): Promise<boolean> {
    const consumer = this.#consumers.get(name);
    if (consumer === undefined) return Promise.resolve(false);
    this.#consumers.delete(name);
    consumer.handlers = [];
    for (const delivery of consumer.inFlight) delivery.settled = true;
    return Promise.resolve(true);
  }

  publishDeadLetter(_subject: string, record: Uint8Array, msgId: string): Promise<void> {
    if (!this.#deadLetterIds.has(msgId)) {
      const sequence = ++this.#deadLetterSeq;
      this.#deadLetterIds.set(msgId, sequence);
      this.#deadLetters.set(sequence, { sequence, data: record.slice() });
    }
    return Promise.resolve();
  }

  deadLetters(limit: number): Promise<StoredDeadLetter[]> {
    return Promise.resolve([...this.#deadLetters.values()].slice(0, limit));
  }

  deadLetter(sequence: number): Promise<StoredDeadLetter | undefined> {
    return Promise.resolve(this.#deadLetters.get(sequence));
  }

  deleteDeadLetter(sequence: number): Promise<boolean> {
    return Promise.resolve(this.#deadLetters.delete(sequence));
  }

  purgeDeadLetters(): Promise<number> {
    const count = this.#deadLetters.size;
    this.#deadLetters.clear();
    return Promise.resolve(count);
  }

  eventMessage(sequence: number): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.events[sequence - 1]?.data);
  }

  watchMaxDeliveries(listener: MaxDeliveriesListener): Promise<() => void> {
    this.#maxDeliveryListeners.add(listener);
    return Promise.resolve(() => this.#maxDeliveryListeners.delete(listener));
  }

  /** @internal A delivery exhausted `max_deliver` by ack timeout (NATS sends the MAX_DELIVERIES advisory). */
  maxDeliveries(consumer: string, delivery: { readonly sequence: number; readonly attempt: number }): void {
    for (const listener of this.#maxDeliveryListeners) listener(consumer, delivery.sequence, delivery.attempt);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Delivers what can be delivered, in a later turn (never re-entrantly from a publish or an ack). */
  schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(this.#pump);
  }

  readonly #pump = (): void => {
    this.#pumpScheduled = false;
    const out: [EventLogHandler, MemoryDelivery][] = [];
    for (const consumer of this.#consumers.values()) consumer.pump(out);
    for (const [handler, delivery] of out) {
      try {
        handler(delivery);
      } catch {
        // Handlers must not throw; one that does must not stall the others.
      }
    }
  };
}

const logs = new WeakMap<object, Map<string, MemoryEventLog>>();

/**
 * The one {@link MemoryEventLog} of `cluster` on `bus` (created on first use), so every node and client on
 * one in-memory bus shares its event log as they would share a NATS server's streams.
 */
export function memoryEventLogFor(bus: InMemoryBus, cluster: string, clock?: Clock): MemoryEventLog {
  return onePer(logs, bus, cluster, () => new MemoryEventLog({ bus, ...(clock === undefined ? {} : { clock }) }));
}
