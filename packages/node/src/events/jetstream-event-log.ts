/**
 * The JetStream implementation of {@link EventLog} (nats.js 2.29, server 2.9): every nats.js call of the event
 * path lives here.
 *
 * - Streams: `LUCENT_<C>_EVENTS` on `lucent.<C>.events.>` and `LUCENT_<C>_DLQ` on `lucent.<C>.dlq.>`, file
 *   storage, limits retention (`maxAgeMs`), `replicas` copies, the duplicate window for `Nats-Msg-Id`.
 * - Consumers: durable pull consumers, explicit ack, deliver all, `max_deliver`, `ack_wait`, `max_ack_pending`.
 *   Deliveries arrive through `consume({ callback })`: the client keeps a pull open and refills it, so how many
 *   deliveries a node runs at once is bounded by the consumer's `max_ack_pending` (cluster-wide), not by the
 *   client's buffer.
 * - `nak(delay)` and `term()` are plain acks of server 2.9; `working()` restarts the ack wait.
 */
import {
  allDeadLettersSubject,
  allEventsSubject,
  EncodeError,
  LucentError,
  NodeUnavailableError,
  TimeoutError,
} from '@lucent/core/internal';
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  headers,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  nanos,
  RetentionPolicy,
  StorageType,
} from 'nats';
import { JetStreamPipeline } from '../state/jetstream-pipeline.js';
import { deadLetterStreamName, type EventConsumerPlan, eventStreamName } from './event-consumer-plan.js';
import type {
  EventLog,
  EventLogDelivery,
  EventLogHandler,
  EventLogSubscription,
  EventPublishOptions,
  MaxDeliveriesListener,
  StoredDeadLetter,
} from './event-log.js';

/** Header naming the one handler a replayed dead letter is for. */
export const HANDLER_HEADER = 'Lucent-Handler';
/** JetStream's deduplication header (what nats.js sends for `msgID`). */
const MSG_ID_HEADER = 'Nats-Msg-Id';

/** Options of {@link JetStreamEventLog.open}. */
export interface JetStreamEventLogOptions {
  readonly cluster: string;
  /** Copies of each stream (1 on one server; 3 on a NATS cluster of 3 or more). Default 1. */
  readonly replicas?: number;
  /** Window in which a repeated `Nats-Msg-Id` is not stored again. Default 120 000 ms. */
  readonly duplicateWindowMs?: number;
  /** How long events are kept (limits retention). Default 7 days. */
  readonly maxAgeMs?: number;
  /** Bound on each JetStream request (default 5000 ms). */
  readonly timeoutMs?: number;
}

const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;
const NO_MESSAGE_FOUND = 10037;
const MESSAGE_TOO_LARGE = 10054;
/** Deliveries the client asks for per pull (the server's `max_ack_pending` bounds what is in flight). */
const PULL_BATCH = 64;
const PULL_EXPIRES_MS = 5000;

/** A delivery over a `JsMsg`; one object per message, no closures. */
class JetStreamDelivery implements EventLogDelivery {
  readonly data: Uint8Array;
  readonly attempt: number;
  readonly sequence: number;
  readonly handler: string | undefined;
  readonly #msg: JsMsg;

  constructor(msg: JsMsg) {
    this.#msg = msg;
    this.data = msg.data;
    const info = msg.info;
    this.attempt = info.deliveryCount;
    this.sequence = info.streamSequence;
    this.handler = msg.headers?.get(HANDLER_HEADER) || undefined;
  }

  ack(): void {
    this.#msg.ack();
  }

  nak(delayMs: number): void {
    // nats.js sends a plain NAK (immediate redelivery) for 0.
    this.#msg.nak(delayMs > 0 ? delayMs : undefined);
  }

  term(): void {
    this.#msg.term();
  }

  working(): void {
    this.#msg.working();
  }
}

/** See the module doc. Create with {@link JetStreamEventLog.open}. */
export class JetStreamEventLog implements EventLog {
  readonly stream: string;
  readonly deadLetterStream: string;
  readonly #cluster: string;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #options: JetStreamEventLogOptions;
  readonly #timeoutMs: number;
  /**
   * Event and dead-letter publishes go here, not through `js.publish`: nats.js sends each as a request with its
   * own mux entry, timer and promises, and its mux `Map` kept finished publishes alive through scavenges.
   */
  readonly #publishes: JetStreamPipeline;
  readonly #subscriptions = new Set<ConsumerMessages>();
  #streams: Promise<void> | undefined = undefined;

  private constructor(
    nc: NatsConnection,
    js: JetStreamClient,
    jsm: JetStreamManager,
    options: JetStreamEventLogOptions,
  ) {
    this.#nc = nc;
    this.#cluster = options.cluster;
    this.stream = eventStreamName(options.cluster);
    this.deadLetterStream = deadLetterStreamName(options.cluster);
    this.#js = js;
    this.#jsm = jsm;
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#publishes = new JetStreamPipeline(nc, { timeoutMs: this.#timeoutMs });
  }

  /** Binds to JetStream on `nc` (borrowed: not closed here). Rejects with `NodeUnavailableError` without JetStream. */
  static async open(nc: NatsConnection, options: JetStreamEventLogOptions): Promise<JetStreamEventLog> {
    const timeout = options.timeoutMs ?? 5000;
    try {
      const jsm = await nc.jetstreamManager({ timeout });
      return new JetStreamEventLog(nc, nc.jetstream({ timeout }), jsm, options);
    } catch (error) {
      throw failure(error, 'open', timeout);
    }
  }

  ensureStreams(): Promise<void> {
    this.#streams ??= this.#ensureStreams().catch((error: unknown) => {
      this.#streams = undefined;
      throw failure(error, 'create streams', this.#timeoutMs);
    });
    return this.#streams;
  }

  async #ensureStreams(): Promise<void> {
    const replicas = this.#options.replicas ?? 1;
    const common = {
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      num_replicas: replicas,
      max_age: nanos(this.#options.maxAgeMs ?? DEFAULT_MAX_AGE_MS),
      duplicate_window: nanos(this.#options.duplicateWindowMs ?? 120_000),
    };
    await this.#ensureStream({ name: this.stream, subjects: [allEventsSubject(this.#cluster)], ...common });
    await this.#ensureStream({
      name: this.deadLetterStream,
      subjects: [allDeadLettersSubject(this.#cluster)],
      ...common,
    });
  }

  async #ensureStream(config: { name: string; subjects: string[] } & Record<string, unknown>): Promise<void> {
    try {
      await this.#jsm.streams.info(config.name);
      return;
    } catch (error) {
      if (apiCode(error) !== STREAM_NOT_FOUND) throw error;
    }
    try {
      await this.#jsm.streams.add(config);
    } catch (error) {
      // Another node created it meanwhile (same settings): fine.
      const exists = await this.#jsm.streams.info(config.name).then(
        () => true,
        () => false,
      );
      if (!exists) throw error;
    }
  }

  async publish(subject: string, message: Uint8Array, options: EventPublishOptions): Promise<boolean> {
    try {
      const hdrs = headers();
      hdrs.set(MSG_ID_HEADER, options.msgId);
      if (options.handler !== undefined) hdrs.set(HANDLER_HEADER, options.handler);
      const ack = await this.#publishes.request(subject, message, hdrs);
      return ack.duplicate === true;
    } catch (error) {
      throw failure(error, `publish ${subject}`, this.#timeoutMs);
    }
  }

  async ensureConsumer(plan: EventConsumerPlan): Promise<void> {
    const config: Partial<ConsumerConfig> = {
      durable_name: plan.name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: plan.filterSubject,
      max_deliver: plan.maxDeliveries,
      ack_wait: nanos(plan.ackWaitMs),
      max_ack_pending: plan.maxAckPending,
    };
    try {
      await this.ensureStreams();
      let existing: ConsumerConfig | undefined;
      try {
        existing = (await this.#jsm.consumers.info(this.stream, plan.name)).config;
      } catch (error) {
        if (apiCode(error) !== CONSUMER_NOT_FOUND) throw error;
      }
      if (existing === undefined) {
        await this.#jsm.consumers.add(this.stream, config);
        return;
      }
      const same =
        existing.max_deliver === config.max_deliver &&
        existing.ack_wait === config.ack_wait &&
        existing.max_ack_pending === config.max_ack_pending;
      if (!same) {
        await this.#jsm.consumers.update(this.stream, plan.name, {
          max_deliver: plan.maxDeliveries,
          ack_wait: nanos(plan.ackWaitMs),
          max_ack_pending: plan.maxAckPending,
        });
      }
    } catch (error) {
      throw failure(error, `consumer ${plan.name}`, this.#timeoutMs);
    }
  }

  async consume(plan: EventConsumerPlan, handler: EventLogHandler): Promise<EventLogSubscription> {
    let messages: ConsumerMessages;
    try {
      const consumer = await this.#js.consumers.get(this.stream, plan.name);
      messages = await consumer.consume({
        max_messages: Math.min(PULL_BATCH, plan.maxAckPending),
        // A pull request outlives a killed client on the server until it expires, and a redelivery sent to it
        // is lost (one more delivery spent). 5 s instead of nats.js' 30 s keeps that window short.
        expires: PULL_EXPIRES_MS,
        // One closure per consumer, not per message.
        callback: (msg) => handler(new JetStreamDelivery(msg)),
      });
    } catch (error) {
      throw failure(error, `consume ${plan.name}`, this.#timeoutMs);
    }
    this.#subscriptions.add(messages);
    return {
      stop: async () => {
        this.#subscriptions.delete(messages);
        await messages.close().catch(() => undefined);
      },
    };
  }

  async consumerNames(): Promise<string[]> {
    try {
      const names: string[] = [];
      for await (const info of this.#jsm.consumers.list(this.stream)) names.push(info.name);
      return names.sort();
    } catch (error) {
      if (apiCode(error) === STREAM_NOT_FOUND) return [];
      throw failure(error, 'list consumers', this.#timeoutMs);
    }
  }

  async removeConsumer(name: string): Promise<boolean> {
    try {
      return await this.#jsm.consumers.delete(this.stream, name);
    } catch (error) {
      const code = apiCode(error);
      if (code === CONSUMER_NOT_FOUND || code === STREAM_NOT_FOUND) return false;
      throw failure(error, `remove consumer ${name}`, this.#timeoutMs);
    }
  }

  async publishDeadLetter(subject: string, record: Uint8Array, msgId: string): Promise<void> {
    try {
      await this.ensureStreams();
      const hdrs = headers();
      hdrs.set(MSG_ID_HEADER, msgId);
      await this.#publishes.request(subject, record, hdrs);
    } catch (error) {
      throw failure(error, `publish ${subject}`, this.#timeoutMs);
    }
  }

  async deadLetters(limit: number): Promise<StoredDeadLetter[]> {
    const out: StoredDeadLetter[] = [];
    try {
      const info = await this.#jsm.streams.info(this.deadLetterStream);
      if (info.state.messages === 0) return out;
      let seq = Math.max(1, info.state.first_seq);
      const last = info.state.last_seq;
      while (seq <= last && out.length < limit) {
        const stored = await this.deadLetter(seq);
        if (stored !== undefined) out.push(stored);
        seq++;
      }
    } catch (error) {
      if (apiCode(error) === STREAM_NOT_FOUND) return out;
      throw failure(error, 'list dead letters', this.#timeoutMs);
    }
    return out;
  }

  async deadLetter(sequence: number): Promise<StoredDeadLetter | undefined> {
    try {
      const msg = await this.#jsm.streams.getMessage(this.deadLetterStream, { seq: sequence });
      return { sequence: msg.seq, data: msg.data };
    } catch (error) {
      const code = apiCode(error);
      if (code === NO_MESSAGE_FOUND || code === STREAM_NOT_FOUND) return undefined;
      throw failure(error, `read dead letter ${sequence}`, this.#timeoutMs);
    }
  }

  async deleteDeadLetter(sequence: number): Promise<boolean> {
    try {
      return await this.#jsm.streams.deleteMessage(this.deadLetterStream, sequence, false);
    } catch (error) {
      const code = apiCode(error);
      if (code === NO_MESSAGE_FOUND || code === STREAM_NOT_FOUND) return false;
      throw failure(error, `delete dead letter ${sequence}`, this.#timeoutMs);
    }
  }

  async purgeDeadLetters(): Promise<number> {
    try {
      return (await this.#jsm.streams.purge(this.deadLetterStream)).purged;
    } catch (error) {
      if (apiCode(error) === STREAM_NOT_FOUND) return 0;
      throw failure(error, 'purge dead letters', this.#timeoutMs);
    }
  }

  async eventMessage(sequence: number): Promise<Uint8Array | undefined> {
    try {
      return (await this.#jsm.streams.getMessage(this.stream, { seq: sequence })).data;
    } catch (error) {
      const code = apiCode(error);
      if (code === NO_MESSAGE_FOUND || code === STREAM_NOT_FOUND) return undefined;
      throw failure(error, `read event ${sequence}`, this.#timeoutMs);
    }
  }

  async watchMaxDeliveries(listener: MaxDeliveriesListener): Promise<() => void> {
    // `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>`, JSON with stream_seq and deliveries.
    const subject = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.stream}.*`;
    const sub = this.#nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error !== null) return;
        try {
          const advisory = JSON.parse(new TextDecoder().decode(msg.data)) as {
            consumer?: unknown;
            stream_seq?: unknown;
            deliveries?: unknown;
          };
          if (typeof advisory.consumer !== 'string' || typeof advisory.stream_seq !== 'number') return;
          listener(advisory.consumer, advisory.stream_seq, Number(advisory.deliveries) || 0);
        } catch {
          // Not an advisory we understand: ignored.
        }
      },
    });
    await this.#nc.flush().catch(() => undefined);
    return () => sub.unsubscribe();
  }

  async close(): Promise<void> {
    const open = [...this.#subscriptions];
    this.#subscriptions.clear();
    await Promise.all(open.map((messages) => messages.close().catch(() => undefined)));
  }
}

function apiCode(error: unknown): number | undefined {
  const code = (error as { api_error?: { err_code?: unknown } } | null)?.api_error?.err_code;
  return typeof code === 'number' ? code : undefined;
}

/** A JetStream failure as a Lucent error (the KV store's mapping: timeout, too large, else unavailable). */
function failure(error: unknown, operation: string, timeoutMs: number): LucentError {
  if (error instanceof LucentError) return error;
  const target = `JetStream ${operation}`;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'TIMEOUT') return new TimeoutError({ target, timeoutMs }, { cause: error });
  if (code === 'MAX_PAYLOAD_EXCEEDED' || apiCode(error) === MESSAGE_TOO_LARGE) {
    return new EncodeError({ reason: `${target}: message too large` }, { cause: error });
  }
  const reason = `${target}: ${error instanceof Error ? error.message : String(error)}`;
  return new NodeUnavailableError({ node: 'jetstream', reason }, { cause: error });
}
