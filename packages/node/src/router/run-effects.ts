/**
 * What a function run says besides its result, carried out on the node: its log records written by the node's
 * pino logger with the call's correlation id, its `ctx.emit` events published once it succeeded, and the result
 * events (`${fn}Completed` / `${fn}Failed`) of plain calls whose definition asks for them.
 *
 * ```
 *  records  ─► logger.child({ fn, correlationId, causationId })[level](fields, msg)       (success or failure)
 *  emitted  ─► event envelopes { correlationId, causationId: request.id } ─► EventPublisher (success only)
 *  result   ─► `${fn}Completed` { value } / `${fn}Failed` { error }       ─► EventPublisher (if the definition asks)
 * ```
 * Event ids derive from the request id (`<id>.<fn>.<n>`, `<id>.<fn>`, `<id>.<fn>.failed`), so a run repeated with
 * the same request id (a redelivered event, a retried call) stores each event once within the duplicate window.
 */
import {
  correlationOf,
  type EmittedEvent,
  type Envelope,
  eventEnvelope,
  type FunctionDefinition,
  LOG_LEVELS,
  type LogRecord,
  type LucentError,
} from '@lucent/core/internal';
import type { EventPublisher } from '../events/event-publisher.js';
import type { Logger } from '../logging.js';
import type { EffectsSink } from '../pool/call-effects.js';
import { completedEventType, failedEventType } from './event-dispatcher.js';

/** pino method name per level number. */
const LEVEL_NAMES = new Map<number, keyof typeof LOG_LEVELS>(
  Object.entries(LOG_LEVELS).map(([name, level]) => [level, name as keyof typeof LOG_LEVELS]),
);

/** The payload of a `${fn}Failed` event of a plain call. */
export interface FailedEventData {
  readonly error: ReturnType<LucentError['toWire']>;
}

/** See the module doc. One per node, shared by the router and the durable event consumers. */
export class RunEffects implements EffectsSink {
  readonly #logger: Logger;
  readonly #publisher: EventPublisher | undefined;
  readonly #nodeId: string;

  constructor(logger: Logger, publisher: EventPublisher | undefined, nodeId: string) {
    this.#logger = logger;
    this.#publisher = publisher;
    this.#nodeId = nodeId;
  }

  settled(
    request: Envelope,
    fn: string,
    records: LogRecord[] | null,
    emitted: EmittedEvent[] | null,
    ok: boolean,
  ): void {
    if (records !== null) this.#write(request, fn, records);
    if (!ok || emitted === null || this.#publisher === undefined) return;
    for (let i = 0; i < emitted.length; i++) {
      const [type, data] = emitted[i]!;
      try {
        this.#publisher.publish(this.#event(request, type, data, `${request.id}.${fn}.${i}`), true);
      } catch (error) {
        // An invalid type or data that cannot be encoded: the call succeeded; its event is reported, not thrown.
        this.#logger.warn({ err: error, fn, type, correlationId: correlationOf(request) }, 'event.emit_failed');
      }
    }
  }

  /** After a plain call of `definition` succeeded with `value`: its `Completed` event, if the definition asks. */
  completed(request: Envelope, definition: FunctionDefinition, value: unknown): void {
    if (!definition.events.completed || this.#publisher === undefined) return;
    const type = completedEventType(definition.name);
    this.#publishSafely(this.#event(request, type, value, `${request.id}.${definition.name}`), definition.name);
  }

  /** After a plain call of `definition` failed with `error`: its `Failed` event, if the definition asks. */
  failed(request: Envelope, definition: FunctionDefinition, error: LucentError): void {
    if (!definition.events.failed || this.#publisher === undefined) return;
    const type = failedEventType(definition.name);
    const data: FailedEventData = { error: error.toWire(error.origin ?? this.#nodeId) };
    this.#publishSafely(this.#event(request, type, data, `${request.id}.${definition.name}.failed`), definition.name);
  }

  #publishSafely(event: Envelope, fn: string): void {
    try {
      this.#publisher?.publish(event, false);
    } catch (error) {
      this.#logger.warn({ err: error, fn, type: event.target }, 'event.emit_failed');
    }
  }

  #event(request: Envelope, type: string, data: unknown, id: string): Envelope {
    return eventEnvelope(type, data, {
      id,
      origin: this.#nodeId,
      correlationId: correlationOf(request),
      causationId: request.id,
      traceparent: request.traceparent,
    });
  }

  #write(request: Envelope, fn: string, records: LogRecord[]): void {
    const logger = this.#logger.child({ fn, correlationId: correlationOf(request), requestId: request.id });
    for (const [level, msg, fields] of records) {
      const method = LEVEL_NAMES.get(level) ?? 'info';
      if (fields === null) logger[method](msg);
      else logger[method](fields, msg);
    }
  }
}
