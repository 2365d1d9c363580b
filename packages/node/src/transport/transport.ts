/**
 * The transport port: bytes between nodes and clients. It knows subjects and frames (`Uint8Array`s), not
 * envelopes; the codec sits above it. Two implementations: `NatsTransport` (the real one) and
 * `InMemoryTransport` (unit tests and the single-process default). Both coalesce frames per destination and
 * carry requests on one reply subject per connection (see `framed-transport.ts`).
 */
import type { Clock, LucentError } from '@lucent/core/internal';

/** Answers one request. Obtained from a {@link FrameHandler}; valid after the handler returns (reply later). */
export interface Replier {
  /**
   * Queues `frame` as the reply. Idempotent after the first call: returns `true` the first time, `false`
   * (and sends nothing) afterwards. Never throws; a reply after the transport closed is dropped.
   */
  reply(frame: Uint8Array): boolean;
}

/**
 * Called once per received frame, in the order frames were sent on that subject by one sender. `replier` is
 * set for requests and `undefined` for one-way frames. `frame` is a view into the received message: copy it
 * to keep it beyond the call. A handler that throws does not stop the other frames; its error goes to the
 * subscription's `onError` (as a `HandlerError` unless it threw a Lucent error). `subject` is the subject of the
 * message the frame came in, for subscriptions made `withSubject` (else `undefined`).
 */
export type FrameHandler = (frame: Uint8Array, replier: Replier | undefined, subject?: string) => void;

/** Gets the outcome of one {@link Transport.requestTo}: one of the two is called, once. */
export interface ReplyReceiver {
  /** The reply's bytes (a view into the received message, as {@link Transport.request} resolves with). */
  resolve(reply: Uint8Array): void;
  reject(error: unknown): void;
}

/** Receives errors that belong to a subscription (malformed message, handler threw). */
export type TransportErrorListener = (error: LucentError, subject: string) => void;

export interface SubscribeOptions {
  /**
   * Queue group: each wire message goes to one member (round-robin in memory; NATS picks at random). Frames one
   * sender coalesced into one message land on the same member, so balancing is per message, not per frame.
   */
  readonly queue?: string;
  /** Errors of this subscription; when absent they go to the transport's `onError` listeners. */
  readonly onError?: TransportErrorListener;
  /**
   * Give the handler each frame's message subject (its third argument), for a wildcard subscription whose
   * handler reads the subject's last token. Off by default: a NATS connection decodes the subject per message.
   */
  readonly withSubject?: boolean;
}

/** A live subscription. */
export interface TransportSubscription {
  readonly subject: string;
  /** Stops delivery. Idempotent. Frames already received in the same message may still be delivered. */
  unsubscribe(): void;
}

/**
 * Connection status, for the node to log and to drive readiness. Closed set, discriminated on `type`. There is
 * no `connected` event: a transport is handed out connected (`NatsTransport.connect` resolves then).
 */
export type TransportStatusEvent =
  | { readonly type: 'disconnected'; readonly server: string }
  /** `attempt`: 1, 2, … since the last disconnect. */
  | { readonly type: 'reconnecting'; readonly attempt: number }
  | { readonly type: 'reconnected'; readonly server: string }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'closed' };

export type TransportStatusListener = (event: TransportStatusEvent) => void;

/** Counters since the transport was created. Plain integers, read by metrics and tests. */
export interface TransportStats {
  /** Wire messages published (each carries one or more frames). */
  readonly messagesOut: number;
  readonly framesOut: number;
  readonly messagesIn: number;
  readonly framesIn: number;
  /** Received messages dropped because they did not decode. */
  readonly decodeErrors: number;
  /** Replies that matched no pending request (it had timed out, or the id is unknown). */
  readonly unmatchedReplies: number;
  /** Requests that rejected with `TimeoutError`. */
  readonly timeouts: number;
  /** Messages with requests that reached no subscriber (their requests failed with `NodeUnavailableError`). */
  readonly noResponders: number;
}

/**
 * Moves frames between subjects. Frames sent by one transport to one subject arrive in the order sent; there is
 * no order across subjects or senders. Delivery is at most once.
 */
export interface Transport {
  /**
   * This connection's reply prefix (wildcard-free). Requests to subject S carry the reply subject
   * `<replySubject>.<S>`, so a "no responders" notice names the destination it is about.
   */
  readonly replySubject: string;
  /** True once `close()` was called. */
  readonly isClosed: boolean;
  readonly stats: TransportStats;

  /**
   * Queues `frame` for `subject`, fire-and-forget; it leaves with the next coalesced message (next
   * `setImmediate`, or at once when the destination's batch reaches its size cap). `frame` is copied: the caller
   * may reuse it. Throws `ShuttingDownError` after `close()`, `EncodeError` when the frame is larger than a
   * wire message may be.
   */
  send(subject: string, frame: Uint8Array): void;

  /**
   * Sends `frame` as a request and resolves with the reply's bytes. Rejects with `TimeoutError` when no reply
   * came within `timeoutMs` (at or shortly after the deadline), `NodeUnavailableError` (reason
   * `NO_RESPONDERS_REASON`) as soon as the wire reports that nobody subscribes `subject`, `ShuttingDownError` when the transport is or
   * becomes closed first, `EncodeError` when the frame is too large. Settles exactly once; a late reply is
   * dropped and counted in `stats.unmatchedReplies`. `label` (default `subject`) names what was asked in the
   * `TimeoutError` (`'countPrimes did not answer within 3000 ms'`), since the caller never named the subject.
   */
  request(subject: string, frame: Uint8Array, timeoutMs: number, label?: string): Promise<Uint8Array>;

  /**
   * {@link request} without a promise: the outcome goes to `receiver`, exactly once (its `resolve` with the
   * reply's bytes, or its `reject` with the errors `request` rejects with), possibly before `requestTo` returns
   * (transport closed, frame too large). Never throws. For callers that settle a promise of their own (the
   * client's calls): it saves the request's promise, its closures and a promise hop per reply.
   */
  requestTo(subject: string, frame: Uint8Array, timeoutMs: number, label: string, receiver: ReplyReceiver): void;

  /**
   * Rejects every request still waiting for a reply from `subject` or a subject below it (`<subject>.<token>…`: a
   * node's placed subjects), each with its own `makeError()` (e.g. a node that left the cluster view: no reply
   * will come, so its callers need not wait for their timeouts).
   * Returns how many. A reply that arrives later is dropped as unmatched. O(pending requests): for rare events.
   */
  failRequestsTo(subject: string, makeError: () => unknown): number;

  /** Delivers frames sent to `subject` to `handler`. Throws `ShuttingDownError` after `close()`. */
  subscribe(subject: string, handler: FrameHandler, options?: SubscribeOptions): TransportSubscription;

  /**
   * Publishes every queued frame now and resolves when they have reached the server (NATS: one PING/PONG) or
   * the bus. Rejects with `ShuttingDownError` after close.
   */
  flush(): Promise<void>;

  /**
   * Publishes queued frames, drains subscriptions (messages already received are handled; replies they produce
   * are sent), closes the connection, then rejects requests still pending with `ShuttingDownError`.
   * Idempotent: later calls return the same promise. Never rejects.
   */
  close(): Promise<void>;

  /** Adds a status listener; returns a function that removes it. */
  onStatus(listener: TransportStatusListener): () => void;
  /** Adds a listener for errors of subscriptions without their own `onError`; returns its remover. */
  onError(listener: TransportErrorListener): () => void;
}

/**
 * The time source of request deadlines: core's `Clock` port (monotonic `now()` only), so its `SimulatedClock`
 * drives transport timeouts in tests.
 */
export type TransportClock = Clock;

/** Runs `callback` soon, after the current I/O callbacks (default `setImmediate`); injectable for tests. */
export type FlushScheduler = (callback: () => void) => void;

/** Options every transport implementation accepts. */
export interface TransportOptions {
  /** Cluster name used in subjects (default `lucent`). */
  readonly cluster?: string;
  /** A batch to one destination is published as soon as it reaches this many bytes (default 32 KiB). */
  readonly maxBatchBytes?: number;
  /** Clock for request deadlines (default: `performance.now()` and Node timers). */
  readonly clock?: TransportClock;
  /** When queued frames are flushed (default `setImmediate`). */
  readonly scheduleFlush?: FlushScheduler;
}

/**
 * Default for {@link TransportOptions.maxBatchBytes}. 32 KiB is also the outbound size at which nats.js writes
 * to the socket at once instead of on its next microtask, so a full batch leaves while the sender is still
 * producing the next one: with 1000 calls in flight the receiver starts on the first ~450 frames while the rest
 * are encoded, instead of the two processes taking turns on one 64 KiB message (node/remote: ~150k → ~190k
 * calls/s; node/transport unchanged).
 */
export const DEFAULT_MAX_BATCH_BYTES = 32 * 1024;
