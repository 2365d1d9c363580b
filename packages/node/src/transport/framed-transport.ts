/**
 * What every transport shares, over a connection that only publishes and subscribes whole messages:
 * coalescing (`OutboundQueue`), framing (`frames.ts`), request ids and deadlines (`PendingRequests`), dispatch of
 * received frames, stats and listeners. `NatsTransport` and `InMemoryTransport` only adapt a connection, so the
 * in-memory twin runs exactly this code.
 *
 * ```
 *  request(S, f) ─► pending.add → id ─► queue[S] += Request(id,f) ─► publish(S, msg, reply=R)
 *  responder sub S ─► Request(id,f) ─► handler(f, replier) ─► queue[R] += Reply(id,r) ─► publish(R, msg)
 *  reply sub R ─► Reply(id,r) ─► pending.resolve(id, r)
 * ```
 */
import { type LucentError, ShuttingDownError, toLucentError } from '@lucent/core/internal';
import {
  type ConnectionSubscription,
  type DispatchHost,
  type MessageInbox,
  MutableStats,
  ReplyDispatcher,
  SubscriptionDispatcher,
} from './frame-dispatch.js';
import { FrameKind, type FrameVisitor, readFrames } from './frames.js';
import { type BatchSink, OutboundQueue } from './outbound-queue.js';
import { PendingRequests, realClock } from './pending-requests.js';
import {
  DEFAULT_MAX_BATCH_BYTES,
  type FrameHandler,
  type ReplyReceiver,
  type SubscribeOptions,
  type Transport,
  type TransportErrorListener,
  type TransportOptions,
  type TransportStats,
  type TransportStatusEvent,
  type TransportStatusListener,
  type TransportSubscription,
} from './transport.js';

export type { ConnectionSubscription, MessageInbox } from './frame-dispatch.js';

const defaultSchedule = (callback: () => void): void => {
  setImmediate(callback);
};

/**
 * The shared implementation of {@link Transport}. A subclass adapts one connection: it implements the four
 * `protected abstract` methods and calls {@link FramedTransport.start} once the connection is up.
 */
export abstract class FramedTransport implements Transport {
  readonly replySubject: string;
  /** Name used in errors (`ShuttingDownError.node`). */
  readonly name: string;
  readonly #stats = new MutableStats();
  readonly #pending: PendingRequests;
  readonly #queue: OutboundQueue;
  readonly #statusListeners = new Set<TransportStatusListener>();
  readonly #errorListeners = new Set<TransportErrorListener>();
  readonly #subscriptions = new Set<SubscriptionDispatcher>();
  #closing = false;
  #connectionClosed = false;
  #closePromise: Promise<void> | undefined = undefined;
  readonly #host: DispatchHost;

  protected constructor(name: string, replySubject: string, options: TransportOptions, maxMessageBytes: number) {
    this.name = name;
    this.replySubject = replySubject;
    this.#pending = new PendingRequests(options.clock ?? realClock);
    this.#host = {
      replySubject,
      enqueueReply: (replyTo, id, frame) => this.#enqueueReply(replyTo, id, frame),
      readMessage: (data, visitor, subject, onError) => this.#readMessage(data, visitor, subject, onError),
      reportError: (error, subject, onError) => this.#reportError(error, subject, onError),
      forget: (subscription) => this.#subscriptions.delete(subscription),
    };
    const sink: BatchSink = {
      publishBatch: (subject, message, replyTo, frameCount) => {
        this.publishMessage(subject, message, replyTo);
        this.#stats.messagesOut++;
        this.#stats.framesOut += frameCount;
      },
      publishFailed: (subject, error) => this.#reportError(toLucentError(error, subject), subject, undefined),
    };
    const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.#queue = new OutboundQueue(
      sink,
      options.scheduleFlush ?? defaultSchedule,
      replySubject,
      maxBatchBytes,
      maxMessageBytes,
    );
  }

  /** Publishes one wire message. May throw (the message is then reported lost). */
  protected abstract publishMessage(subject: string, message: Uint8Array, replyTo: string | undefined): void;
  /** Subscribes at the connection level; messages go to `inbox.onMessage`. */
  protected abstract subscribeMessages(
    subject: string,
    queue: string | undefined,
    inbox: MessageInbox,
  ): ConnectionSubscription;
  /** Resolves when everything published so far has reached the server or bus. */
  protected abstract flushConnection(): Promise<void>;
  /** Drains connection-level subscriptions, then closes. Must not reject. */
  protected abstract closeConnection(): Promise<void>;

  /** Subscribes the reply subjects (`<prefix>.>`); the subclass calls it once its connection is usable. */
  protected start(): void {
    const replies = new ReplyDispatcher(this.#host, this.#pending, this.#stats);
    this.subscribeMessages(`${this.replySubject}.>`, undefined, replies);
  }

  /** Updates the largest message the connection accepts. */
  protected setMaxMessageBytes(bytes: number): void {
    this.#queue.setMaxMessageBytes(bytes);
  }

  get isClosed(): boolean {
    return this.#closing;
  }

  get stats(): TransportStats {
    this.#stats.timeouts = this.#pending.timeouts;
    return this.#stats;
  }

  /** Requests waiting for a reply (for metrics and tests). */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  send(subject: string, frame: Uint8Array): void {
    if (this.#closing) throw new ShuttingDownError({ node: this.name });
    this.#queue.enqueue(subject, FrameKind.Send, 0, frame);
  }

  request(subject: string, frame: Uint8Array, timeoutMs: number, label: string = subject): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      this.requestTo(subject, frame, timeoutMs, label, { resolve, reject });
    });
  }

  requestTo(subject: string, frame: Uint8Array, timeoutMs: number, label: string, receiver: ReplyReceiver): void {
    if (this.#closing) {
      receiver.reject(new ShuttingDownError({ node: this.name }));
      return;
    }
    const id = this.#pending.add(subject, timeoutMs, receiver, label);
    try {
      this.#queue.enqueue(subject, FrameKind.Request, id, frame);
    } catch (error) {
      this.#pending.reject(id, error);
    }
  }

  failRequestsTo(subject: string, makeError: () => unknown): number {
    return this.#pending.rejectTarget(subject, makeError, true);
  }

  subscribe(subject: string, handler: FrameHandler, options?: SubscribeOptions): TransportSubscription {
    if (this.#closing) throw new ShuttingDownError({ node: this.name });
    const dispatcher = new SubscriptionDispatcher(
      this.#host,
      subject,
      handler,
      options?.onError,
      options?.withSubject === true,
    );
    dispatcher.connection = this.subscribeMessages(subject, options?.queue, dispatcher);
    this.#subscriptions.add(dispatcher);
    return dispatcher;
  }

  async flush(): Promise<void> {
    if (this.#closing) throw new ShuttingDownError({ node: this.name });
    this.#queue.flush();
    await this.flushConnection();
  }

  close(): Promise<void> {
    if (this.#closePromise === undefined) this.#closePromise = this.#close();
    return this.#closePromise;
  }

  onStatus(listener: TransportStatusListener): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  onError(listener: TransportErrorListener): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  #enqueueReply(replyTo: string, id: number, frame: Uint8Array): void {
    if (this.#connectionClosed) return;
    try {
      this.#queue.enqueue(replyTo, FrameKind.Reply, id, frame);
    } catch (error) {
      this.#reportError(toLucentError(error, replyTo), replyTo, undefined);
    }
  }

  #readMessage(
    data: Uint8Array,
    visitor: FrameVisitor,
    subject: string,
    onError: TransportErrorListener | undefined,
  ): void {
    this.#stats.messagesIn++;
    try {
      this.#stats.framesIn += readFrames(data, visitor);
    } catch (error) {
      // Visitors catch their handlers' errors, so what reaches here is the framing's DecodeError.
      this.#stats.decodeErrors++;
      this.#reportError(toLucentError(error, subject), subject, onError);
    }
  }

  #reportError(error: LucentError, subject: string, onError: TransportErrorListener | undefined): void {
    if (onError !== undefined) {
      safeCall(onError, error, subject);
      return;
    }
    for (const listener of this.#errorListeners) safeCall(listener, error, subject);
  }

  /** Tells status listeners; a listener that throws does not stop the others. */
  protected emitStatus(event: TransportStatusEvent): void {
    for (const listener of this.#statusListeners) {
      try {
        listener(event);
      } catch {
        // A logging listener must not break the connection's status loop.
      }
    }
  }

  /**
   * The connection closed without `close()` (e.g. reconnect attempts exhausted): nothing can be sent or
   * answered any more, so pending requests reject with `error`.
   */
  protected connectionLost(error: LucentError): void {
    if (this.#connectionClosed) return;
    this.#closing = true;
    this.#connectionClosed = true;
    this.#closePromise ??= Promise.resolve();
    this.#pending.rejectAll(error);
    this.emitStatus({ type: 'closed' });
  }

  async #close(): Promise<void> {
    this.#closing = true;
    // Frames queued before close, and replies produced while subscriptions drain, go out at once.
    this.#queue.publishImmediately();
    await this.closeConnection();
    this.#connectionClosed = true;
    for (const s of this.#subscriptions) s.active = false;
    this.#subscriptions.clear();
    this.#pending.rejectAll(new ShuttingDownError({ node: this.name }));
    this.emitStatus({ type: 'closed' });
  }
}

function safeCall(listener: TransportErrorListener, error: LucentError, subject: string): void {
  try {
    listener(error, subject);
  } catch {
    // An error listener that throws must not take the subscription down with it.
  }
}
