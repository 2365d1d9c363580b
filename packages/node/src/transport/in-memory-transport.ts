/**
 * The in-memory twin of `NatsTransport`: a real {@link Transport} over an {@link InMemoryBus}. It runs the
 * same coalescing, framing, request-id and deadline code as the NATS one; only the connection differs.
 * Used by unit tests and as the single-process default.
 */
import { DEFAULT_CLUSTER, replySubject, ShuttingDownError } from '@lucent/core/internal';
import { newConnectionId } from './connection-id.js';
import { type ConnectionSubscription, FramedTransport, type MessageInbox } from './framed-transport.js';
import type { InMemoryBus } from './in-memory-bus.js';
import type { TransportOptions } from './transport.js';

export interface InMemoryTransportOptions extends TransportOptions {
  /** Connection name, used in errors (default: the connection id). */
  readonly name?: string;
}

/** One "connection" to an {@link InMemoryBus}. Usable at once; `close()` detaches it. */
export class InMemoryTransport extends FramedTransport {
  readonly #bus: InMemoryBus;
  readonly #subscriptions = new Set<ConnectionSubscription>();
  #detached = false;

  constructor(bus: InMemoryBus, options: InMemoryTransportOptions = {}) {
    const id = newConnectionId();
    super(options.name ?? id, replySubject(options.cluster ?? DEFAULT_CLUSTER, id), options, bus.maxMessageBytes);
    this.#bus = bus;
    this.start();
  }

  protected publishMessage(subject: string, message: Uint8Array, replyTo: string | undefined): void {
    if (this.#detached) throw new ShuttingDownError({ node: this.name });
    this.#bus.publish(subject, message, replyTo);
  }

  protected subscribeMessages(subject: string, queue: string | undefined, inbox: MessageInbox): ConnectionSubscription {
    const sub = this.#bus.subscribe(subject, queue, inbox);
    this.#subscriptions.add(sub);
    return {
      unsubscribe: () => {
        this.#subscriptions.delete(sub);
        sub.unsubscribe();
      },
    };
  }

  protected flushConnection(): Promise<void> {
    return this.#bus.idle();
  }

  protected async closeConnection(): Promise<void> {
    // Like a NATS drain: deliver what is already on the bus (replies to our requests included), then detach.
    await this.#bus.idle();
    for (const sub of this.#subscriptions) sub.unsubscribe();
    this.#subscriptions.clear();
    this.#detached = true;
  }
}
