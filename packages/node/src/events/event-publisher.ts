/**
 * How a node publishes the events its functions produce (`ctx.emit`, `${fn}Completed`, `${fn}Failed` of plain
 * calls): stored in the cluster's event log, deduplicated by a message id derived from the request, and checked
 * against the event types some function handles.
 *
 * ```
 *  publish(envelope) ─► unhandled type? ─► lucent_events_unhandled_total{type} + one warn per type per window
 *                    └► event log (JetStream) publish, msgId = envelope.id ─► failure: warn (rate-limited)
 * ```
 * Publishing does not hold up the call's reply: it is started when the call has succeeded and finishes on its own.
 * The unhandled check is `unhandled-event-types.ts` (a client's `emit` runs the same one).
 */
import { type Clock, type Envelope, type EnvelopeCodec, eventSubject } from '@lucent/core/internal';
import type { Registry } from 'prom-client';
import { LogThrottle, SUPPRESS } from '../log-throttle.js';
import type { Logger } from '../logging.js';
import type { EventLog } from './event-log.js';
import { encodeEventMessage } from './event-message.js';
import { UNHANDLED_WARN_WINDOW_MS, UnhandledEventTypes } from './unhandled-event-types.js';

/** Options of {@link EventPublisher}. */
export interface EventPublisherOptions {
  readonly cluster: string;
  readonly codec: EnvelopeCodec;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The cluster's event log, opened on first use. */
  readonly eventLog: () => Promise<EventLog>;
  /** Where `lucent_events_unhandled_total` is registered (prom-client `Registry`); none: not counted. */
  readonly registry?: Registry;
}

/** See the module doc. One per node. */
export class EventPublisher {
  readonly #options: EventPublisherOptions;
  readonly #unhandled: UnhandledEventTypes;
  readonly #warned: LogThrottle;
  /** Publishes started and not settled (tests and shutdown wait on {@link idle}). */
  #pending = new Set<Promise<unknown>>();

  constructor(options: EventPublisherOptions) {
    this.#options = options;
    this.#unhandled = new UnhandledEventTypes({
      clock: options.clock,
      eventLog: options.eventLog,
      logger: options.logger,
      help: 'Events this node published whose type no function in the cluster handles',
      registry: options.registry,
    });
    this.#warned = new LogThrottle({ limit: 1, windowMs: UNHANDLED_WARN_WINDOW_MS, clock: options.clock });
  }

  /**
   * Stores `event` (an event envelope) in the log. `checkHandled`: count and warn when no function handles its
   * type (`ctx.emit` events; result events exist for subscribers and are not checked). Never throws.
   */
  publish(event: Envelope, checkHandled: boolean): void {
    const done = this.#publish(event, checkHandled).catch((error: unknown) => {
      const suppressed = this.#warned.admit(`publish ${event.target}`);
      if (suppressed !== SUPPRESS) {
        this.#options.logger.warn({ err: error, type: event.target, id: event.id }, 'event.publish_failed');
      }
    });
    this.#pending.add(done);
    void done.finally(() => this.#pending.delete(done));
  }

  /** Resolves when every publish started so far has settled (the node waits for it at shutdown). Never rejects. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Times an unhandled type was published, by type (for tests and tools). */
  unhandledCount(type: string): number {
    return this.#unhandled.count(type);
  }

  async #publish(event: Envelope, checkHandled: boolean): Promise<void> {
    const { codec, cluster } = this.#options;
    const message = encodeEventMessage(event, codec);
    if (checkHandled) await this.#unhandled.check(event.target);
    const log = await this.#options.eventLog();
    await log.publish(eventSubject(cluster, event.target), message, { msgId: event.id });
  }
}
