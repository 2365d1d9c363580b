/**
 * The port of the durable event path: a log of event messages with durable, acknowledged consumers and a
 * dead-letter log. Two implementations: `JetStreamEventLog` (the real one) and `MemoryEventLog` (the in-memory
 * twin for unit tests and standalone nodes). Messages are transport wire messages (`frames.ts`: one `Send`
 * frame holding an encoded event envelope), so a plain subscriber of an event subject reads them too.
 */
import type { EventConsumerPlan } from './event-consumer-plan.js';

/** One delivery of a stored event to a consumer. Settle it exactly once with `ack`, `nak` or `term`. */
export interface EventLogDelivery {
  /** The stored message (a transport wire message). A view: copy it to keep it beyond the handler. */
  readonly data: Uint8Array;
  /** 1 for the first delivery. */
  readonly attempt: number;
  /** The message's sequence in the event log. */
  readonly sequence: number;
  /** When set, only the consumer of this function handles the message (a dead letter replayed to it). */
  readonly handler: string | undefined;
  /** Done: never deliver it to this consumer again. */
  ack(): void;
  /** Failed: deliver it again after `delayMs`. */
  nak(delayMs: number): void;
  /** Given up: never deliver it again (the caller dead-lettered it). */
  term(): void;
  /** Still running: restart the ack wait. */
  working(): void;
}

/** Receives deliveries; must not throw. */
export type EventLogHandler = (delivery: EventLogDelivery) => void;

/** A running consumption; `stop` ends it (unacknowledged deliveries are redelivered after the ack wait). */
export interface EventLogSubscription {
  stop(): Promise<void>;
}

/** See {@link EventLog.watchMaxDeliveries}. */
export type MaxDeliveriesListener = (consumer: string, sequence: number, deliveries: number) => void;

/** A stored dead letter: its sequence in the dead-letter log and its encoded record (`dead-letter.ts`). */
export interface StoredDeadLetter {
  readonly sequence: number;
  readonly data: Uint8Array;
}

/** Options of {@link EventLog.publish}. */
export interface EventPublishOptions {
  /** Deduplication id: a second publish with the same id within the duplicate window is not stored again. */
  readonly msgId: string;
  /** Only this function's consumer handles the message. */
  readonly handler?: string;
}

/** See the module doc. Every method may reject with `NodeUnavailableError` or `TimeoutError` on NATS. */
export interface EventLog {
  /** Creates the event and dead-letter streams if missing. Idempotent. */
  ensureStreams(): Promise<void>;
  /**
   * Stores `message` on `subject` and resolves once it is stored (a duplicate within the window resolves too,
   * with `true`). Rejects when the log did not confirm.
   */
  publish(subject: string, message: Uint8Array, options: EventPublishOptions): Promise<boolean>;
  /** Creates the durable consumer, or updates its settings. Idempotent. */
  ensureConsumer(plan: EventConsumerPlan): Promise<void>;
  /** Starts receiving the consumer's deliveries (shared with every other node consuming it). */
  consume(plan: EventConsumerPlan, handler: EventLogHandler): Promise<EventLogSubscription>;
  /** Names of the durable consumers on the event stream. */
  consumerNames(): Promise<string[]>;
  /** Deletes a durable consumer; `false` when there was none. */
  removeConsumer(name: string): Promise<boolean>;
  /** Stores a dead letter on `subject` (deduplicated by `msgId`). */
  publishDeadLetter(subject: string, record: Uint8Array, msgId: string): Promise<void>;
  /** Every stored dead letter, oldest first, at most `limit`. */
  deadLetters(limit: number): Promise<StoredDeadLetter[]>;
  /** One dead letter, or `undefined`. */
  deadLetter(sequence: number): Promise<StoredDeadLetter | undefined>;
  /** Deletes one dead letter; `false` when there was none. */
  deleteDeadLetter(sequence: number): Promise<boolean>;
  /** Deletes every dead letter; resolves with how many there were. */
  purgeDeadLetters(): Promise<number>;
  /** The stored event message with `sequence`, or `undefined` (gone, or never stored). */
  eventMessage(sequence: number): Promise<Uint8Array | undefined>;
  /**
   * Calls `listener` when a consumer's delivery ran out of `max_deliver` without an answer (the last delivery's
   * ack wait expired: its node died or hung). At most once per occurrence, and only while watched (NATS: a core
   * advisory). Resolves with the function that stops watching.
   */
  watchMaxDeliveries(listener: MaxDeliveriesListener): Promise<() => void>;
  /** Releases what the log holds (not the connection). Idempotent. */
  close(): Promise<void>;
}
