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
 * Which types are handled is read from the durable consumers' names (`<fn>--<type>`, one per handler and type,
 * cluster-wide), at most once per {@link HANDLED_TYPES_REFRESH_MS}.
 */
import { type Clock, type Envelope, type EnvelopeCodec, eventSubject } from '@lucent/core/internal';
import type { Registry } from 'prom-client';
import { LogThrottle, SUPPRESS } from '../log-throttle.js';
import type { Logger } from '../logging.js';
import { CounterFamily } from '../metrics/metric-families.js';
import type { EventLog } from './event-log.js';
import { encodeEventMessage } from './event-message.js';

/** How stale the set of handled event types may be. */
export const HANDLED_TYPES_REFRESH_MS = 5_000;
/** One `event.unhandled` warning per type per this window. */
export const UNHANDLED_WARN_WINDOW_MS = 10 * 60_000;

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
  readonly #unhandled: CounterFamily;
  readonly #warned: LogThrottle;
  #handled: ReadonlySet<string> | undefined = undefined;
  #handledAt = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | undefined = undefined;
  /** Publishes started and not settled (tests and shutdown wait on {@link idle}). */
  #pending = new Set<Promise<unknown>>();

  constructor(options: EventPublisherOptions) {
    this.#options = options;
    this.#unhandled = new CounterFamily(
      'lucent_events_unhandled_total',
      'Events this node published whose type no function in the cluster handles',
      ['type'],
    );
    if (options.registry !== undefined) this.#unhandled.register(options.registry);
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
    return this.#unhandled.bind([type]).value;
  }

  async #publish(event: Envelope, checkHandled: boolean): Promise<void> {
    const { codec, cluster } = this.#options;
    const message = encodeEventMessage(event, codec);
    if (checkHandled) await this.#checkHandled(event.target);
    const log = await this.#options.eventLog();
    await log.publish(eventSubject(cluster, event.target), message, { msgId: event.id });
  }

  async #checkHandled(type: string): Promise<void> {
    const now = this.#options.clock.now();
    if (this.#handled === undefined || now - this.#handledAt >= HANDLED_TYPES_REFRESH_MS) {
      this.#refreshing ??= this.#refresh(now).finally(() => {
        this.#refreshing = undefined;
      });
      await this.#refreshing;
    }
    if (this.#handled?.has(type) !== false) return;
    this.#unhandled.bind([type]).inc();
    const suppressed = this.#warned.admit(`unhandled ${type}`);
    if (suppressed === SUPPRESS) return;
    this.#options.logger.warn({ type, suppressed }, 'event.unhandled');
  }

  async #refresh(now: number): Promise<void> {
    try {
      const names = await (await this.#options.eventLog()).consumerNames();
      const types = new Set<string>();
      for (const name of names) {
        const sep = name.indexOf('--');
        if (sep > 0) types.add(name.slice(sep + 2));
      }
      this.#handled = types;
      this.#handledAt = now;
    } catch {
      // Unknown this time: not counted as unhandled (the publish reports an unreachable log itself).
    }
  }
}
