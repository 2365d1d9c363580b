/**
 * Client subscriptions to event types: every event of the type published in the cluster from now on (a
 * `client.emit`, a function's `ctx.emit`, `${fn}Completed` / `${fn}Failed`), with its correlation and causation
 * ids. Live delivery (a core NATS subscription on `lucent.<C>.events.<type>`; stored events are also published
 * there): an event published while nobody listens is not replayed here (durable handlers are functions).
 *
 * ```
 *  client.on(type, handler)        handler(event) per event; returns { close() }
 *  for await (const e of client.on(type)) …   an EventStream: bounded buffer, oldest dropped when full
 * ```
 * A `Failed` event's `data.error` arrives revived as its Lucent error class.
 */
import {
  correlationOf,
  type Envelope,
  type EnvelopeCodec,
  errorFromWire,
  type WireError,
  wireErrorProblem,
} from '@lucent/core/internal';
import { Deque } from '../pool/deque.js';
import { readFrames } from '../transport/frames.js';
import type { Transport, TransportSubscription } from '../transport/transport.js';

/** One event as a subscriber sees it. */
export interface LucentEvent<T = unknown> {
  readonly type: string;
  /** The event's id (its deduplication id in the event log). */
  readonly id: string;
  readonly data: T;
  /** The conversation it belongs to (the correlation id of the call or event that led to it). */
  readonly correlationId: string;
  /** The id of the message that caused it (`''` for an event emitted by a client without a cause). */
  readonly causationId: string;
  readonly traceparent: string;
  /** The node that published it (`''` for a client). */
  readonly origin: string;
}

/** Receives events; a throw is caught and ends nothing (it is the handler's own business). */
export type EventHandler<T> = (event: LucentEvent<T>) => void;

/** A live subscription; `close()` stops it (idempotent). */
export interface EventSubscription {
  close(): void;
}

/** Default {@link EventStreamOptions.bufferSize}. */
export const DEFAULT_EVENT_BUFFER = 10_000;

/** Options of a subscription. */
export interface EventStreamOptions {
  /** Events an {@link EventStream} buffers for a slow reader; the oldest is dropped past it (counted). Default 10 000. */
  readonly bufferSize?: number;
}

/** The event an envelope carries, with a `Failed` event's error revived. */
export function toLucentEvent<T>(envelope: Envelope): LucentEvent<T> {
  return {
    type: envelope.target,
    id: envelope.id,
    data: reviveErrors(envelope.payload) as T,
    correlationId: correlationOf(envelope),
    causationId: envelope.causationId,
    traceparent: envelope.traceparent,
    origin: envelope.origin,
  };
}

function reviveErrors(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || !('error' in data)) return data;
  const error = (data as { error: unknown }).error;
  if (wireErrorProblem(error) !== '') return data;
  return { ...data, error: errorFromWire(error as WireError) };
}

/**
 * Subscribes `handler` to `subject` (an event subject), decoding each event envelope. Undecodable messages are
 * skipped (counted in `skipped`).
 */
export function subscribeEvents<T>(
  transport: Transport,
  codec: EnvelopeCodec,
  subject: string,
  handler: EventHandler<T>,
): EventSubscription & { readonly skipped: number } {
  let skipped = 0;
  const deliver = (bytes: Uint8Array): void => {
    let envelope: Envelope;
    try {
      envelope = codec.decode(bytes);
    } catch {
      skipped++;
      return;
    }
    try {
      handler(toLucentEvent<T>(envelope));
    } catch {
      // The handler's failure is its own; the subscription goes on.
    }
  };
  const subscription: TransportSubscription = transport.subscribe(subject, (frame) => {
    // A stored event is a wire message of frames; a transport delivers each frame's envelope bytes.
    if (frame[0] === 0x40) deliver(frame);
    else {
      try {
        readFrames(frame, { onFrame: (_kind, _id, payload) => deliver(payload) });
      } catch {
        skipped++;
      }
    }
  });
  return {
    close: () => subscription.unsubscribe(),
    get skipped() {
      return skipped;
    },
  };
}

/**
 * An async iterable of events (see the module doc). Iterating ends when {@link close} is called (or the loop
 * breaks). One reader at a time.
 */
export class EventStream<T> implements AsyncIterable<LucentEvent<T>>, EventSubscription {
  /** Events dropped because the buffer was full. */
  dropped = 0;
  readonly #buffer = new Deque<LucentEvent<T>>();
  readonly #capacity: number;
  #waiting: ((result: IteratorResult<LucentEvent<T>>) => void) | undefined = undefined;
  #closed = false;
  #subscription: EventSubscription | undefined = undefined;

  constructor(subscribe: (handler: EventHandler<T>) => EventSubscription, options: EventStreamOptions = {}) {
    this.#capacity = Math.max(1, options.bufferSize ?? DEFAULT_EVENT_BUFFER);
    this.#subscription = subscribe((event) => this.#push(event));
  }

  /** Stops the subscription; a pending `next()` resolves done. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscription?.close();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ done: true, value: undefined });
  }

  /** The next event, waiting for one; `{ done: true }` once closed and drained. */
  next(): Promise<IteratorResult<LucentEvent<T>>> {
    const event = this.#buffer.shift();
    if (event !== undefined) return Promise.resolve({ done: false, value: event });
    if (this.#closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<LucentEvent<T>> {
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  #push(event: LucentEvent<T>): void {
    if (this.#closed) return;
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting({ done: false, value: event });
      return;
    }
    if (this.#buffer.size >= this.#capacity) {
      this.#buffer.shift();
      this.dropped++;
    }
    this.#buffer.push(event);
  }
}
