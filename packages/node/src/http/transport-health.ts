/**
 * Whether the node's connection to the cluster is up, from the transport's status events, for `/readyz` and
 * `/healthz`. A node that lost NATS cannot serve anything routed to it, so it is not ready; it is still alive
 * (the client reconnects by itself), so liveness stays 200 and only says why.
 *
 * ```
 *  disconnected / reconnecting ─► down (since the first of them)
 *  reconnected                 ─► up
 *  closed                      ─► down for good
 * ```
 */
import { type Clock, systemClock } from '@lucent/core/internal';
import type { Transport, TransportStatusEvent } from '../transport/transport.js';

/** Tracks one transport's connection state. Starts up: a transport is handed out connected. */
export class TransportHealth {
  readonly #clock: Clock;
  #downSince: number | undefined = undefined;
  #server = '';
  #closed = false;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** Follows `transport`'s status events; returns the unsubscribe function. */
  watch(transport: Pick<Transport, 'onStatus'>): () => void {
    return transport.onStatus((event) => this.update(event));
  }

  /** Applies one status event (what {@link watch} does for each). */
  update(event: TransportStatusEvent): void {
    switch (event.type) {
      case 'disconnected':
        this.#server = event.server;
        this.#downSince ??= this.#clock.now();
        return;
      case 'reconnecting':
        this.#downSince ??= this.#clock.now();
        return;
      case 'reconnected':
        if (!this.#closed) this.#downSince = undefined;
        return;
      case 'closed':
        this.#closed = true;
        this.#downSince ??= this.#clock.now();
        return;
      default:
    }
  }

  /** True while the connection is up. */
  get connected(): boolean {
    return this.#downSince === undefined;
  }

  /** Why the connection is down (`'NATS disconnected from … for 1200 ms'`), or `undefined` while it is up. */
  reason(): string | undefined {
    if (this.#downSince === undefined) return undefined;
    if (this.#closed) return 'NATS connection closed';
    const forMs = Math.round(this.#clock.now() - this.#downSince);
    const from = this.#server === '' ? '' : ` from ${this.#server}`;
    return `NATS disconnected${from} for ${forMs} ms (reconnecting)`;
  }
}
