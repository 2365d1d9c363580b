/**
 * The mapping between Lucent events and CloudEvents (spec 1.0), both ways. Pure: no I/O, no clock (a CloudEvent's
 * `time` is passed in).
 *
 * ```
 *  CloudEvent in                              Lucent event (what client.emit stores)
 *    type            ── eventTypeName ─────►  event type: itself, or dotted (`com.example.created`) with each dot
 *                                              written `__` (`com__example__created`); a type holding `__` is refused
 *    data            ──────────────────────►  payload (JSON as a value, binary as bytes, text as a string)
 *    source + id     ── cloudEventDedupId ──►  event id = Nats-Msg-Id (the same event posted twice is stored once)
 *    traceparent     ──────────────────────►  traceparent (distributed tracing extension; must be W3C)
 *
 *  Lucent event out                           CloudEvent
 *    event type      ── dottedEventType ───►  type  (`__` back to dots; `${fn}Completed`, `${fn}Failed` as they are)
 *    event id        ──────────────────────►  id
 *    cluster, origin ──────────────────────►  source `lucent://<cluster>/<origin node>` (`lucent://<cluster>` for a client)
 *    payload         ──────────────────────►  data (`application/json`), or data_base64 for bytes
 *    traceparent     ──────────────────────►  traceparent extension (distributed tracing)
 * ```
 * The other CloudEvent attributes of an incoming event (`subject`, `time`, other extensions) are not kept: a handler
 * receives `data` exactly as if it had been emitted with `client.emit(type, data)`.
 */
import { createHash } from 'node:crypto';
import {
  DOT_IN_EVENT_TYPE,
  dottedEventType,
  type Envelope,
  eventTypeName,
  eventTypeProblem,
} from '@lucent/core/internal';
import { CloudEvent } from 'cloudevents';

/** The content type of every outgoing CloudEvent's `data` except bytes. */
export const JSON_CONTENT_TYPE = 'application/json';
/** The content type of bytes (`data_base64`). */
export const BYTES_CONTENT_TYPE = 'application/octet-stream';

/** What an incoming CloudEvent becomes: the arguments of `client.emit(type, data, { id })`. */
export interface LucentEventFromCloudEvent {
  readonly type: string;
  readonly data: unknown;
  /** The event id and deduplication id ({@link cloudEventDedupId}). */
  readonly id: string;
  /** The distributed tracing extension's `traceparent`, when the event has one. */
  readonly traceparent?: string;
}

/** A W3C trace context `traceparent` (version 00 layout). */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The Lucent event id of the CloudEvent (`source`, `id`): the spec makes the pair unique per distinct event, so
 * it is the deduplication id. Hashed (SHA-256, 128 bits kept, base64url) because both are free-form strings: the
 * result has a fixed length, is safe in a header, and two different pairs cannot collide by concatenation.
 */
export function cloudEventDedupId(source: string, id: string): string {
  const digest = createHash('sha256').update(source).update('\0').update(id).digest('base64url');
  return `ce-${digest.slice(0, 22)}`;
}

/**
 * Why CloudEvent type `type` cannot be taken, or `undefined` when it can: a Lucent event type name or a dotted
 * type (`event-type-name.ts`), without `__` (which stands for a dot: `a__b` would be the same event as `a.b`).
 */
export function cloudEventTypeProblem(type: string): string | undefined {
  if (type.includes(DOT_IN_EVENT_TYPE)) return `type '${type}' holds '__', which Lucent reserves for a dot`;
  const problem = eventTypeProblem(type);
  return problem === undefined ? undefined : `type ${problem}`;
}

/**
 * The emit arguments of a validated CloudEvent. Returns a string saying what is wrong instead when its `type` is
 * not one Lucent can take ({@link cloudEventTypeProblem}); a dotted type becomes its event type name.
 */
export function fromCloudEvent(event: CloudEvent<unknown>): LucentEventFromCloudEvent | string {
  const typeProblem = cloudEventTypeProblem(event.type);
  if (typeProblem !== undefined) return typeProblem;
  const { traceparent } = event as { traceparent?: unknown };
  if (traceparent !== undefined && (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent))) {
    return `traceparent '${String(traceparent)}' is not a W3C trace context`;
  }
  return {
    type: eventTypeName(event.type),
    data: payloadOf(event.data),
    id: cloudEventDedupId(event.source, event.id),
    ...(traceparent === undefined ? {} : { traceparent }),
  };
}

/** `data` as a Lucent payload: absent → null, any binary view → bytes, anything else as parsed. */
function payloadOf(data: unknown): unknown {
  if (data === undefined) return null;
  if (data instanceof Uint8Array) return data;
  // The SDK turns `data_base64` of structured mode into a Uint32Array of byte values.
  if (ArrayBuffer.isView(data)) return Uint8Array.from(data as unknown as ArrayLike<number>);
  return data;
}

/** Options of {@link toCloudEvent}. */
export interface ToCloudEventOptions {
  /** The cluster the event was stored in (part of `source`). */
  readonly cluster: string;
  /** The CloudEvent's `time` (RFC 3339); events do not carry one, so the caller says when it saw the event. */
  readonly time: string;
}

/** The `source` of events of `cluster` from node `origin` (`''`: a client). */
export function lucentEventSource(cluster: string, origin: string): string {
  return origin === '' ? `lucent://${cluster}` : `lucent://${cluster}/${encodeURIComponent(origin)}`;
}

/**
 * The CloudEvent of a stored Lucent event envelope (kind event: `target` is its type). Bytes become
 * `data_base64` with {@link BYTES_CONTENT_TYPE}; every other payload is `data` as {@link JSON_CONTENT_TYPE}.
 * Throws the SDK's `ValidationError` only for an envelope that is not an event (empty type or id).
 */
export function toCloudEvent(envelope: Envelope, options: ToCloudEventOptions): CloudEvent<unknown> {
  const bytes = envelope.payload instanceof Uint8Array;
  return new CloudEvent<unknown>({
    specversion: '1.0',
    id: envelope.id,
    source: lucentEventSource(options.cluster, envelope.origin),
    type: dottedEventType(envelope.target),
    time: options.time,
    datacontenttype: bytes ? BYTES_CONTENT_TYPE : JSON_CONTENT_TYPE,
    data: envelope.payload,
    ...(envelope.traceparent === '' ? {} : { traceparent: envelope.traceparent }),
  });
}
