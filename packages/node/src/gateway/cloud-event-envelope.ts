/**
 * CloudEvents ⇄ Lucent events: the id a CloudEvent gets in the durable event stream, and the CloudEvent a stored
 * Lucent event is streamed out as. Pure.
 *
 * ```
 *  in:   (source, id) ─ sha256 ─► 'ce-' + 32 hex   the event's Lucent id, also its dedup id (Nats-Msg-Id):
 *                                                  the same CloudEvent sent twice is stored once
 *  out:  event envelope { id, target = type, origin, traceparent, payload }
 *          ─► CloudEvent { id, source '/lucent/<cluster>/<origin>', spec_version '1.0', type,
 *                          datacontenttype, traceparent (when traced), binary_data }
 * ```
 */
import { createHash } from 'node:crypto';
import type { Envelope } from '@lucent/core/internal';
import { type CloudEventMessage, encodePayload, mediaTypeOf, type PayloadFormat } from './cloud-event-payload.js';

/** The CloudEvents specification version the gateway speaks. */
export const CLOUD_EVENTS_SPEC_VERSION = '1.0';

/**
 * The Lucent id of the CloudEvent identified by `source` and `id` (the CloudEvents spec makes that pair unique).
 * Deterministic and subject-safe; hashing keeps it short whatever the source URI.
 */
export function lucentEventIdOf(source: string, id: string): string {
  const digest = createHash('sha256').update(source).update('\n').update(id).digest('hex');
  return `ce-${digest.slice(0, 32)}`;
}

/** The `source` of events streamed out of `cluster`: who stored them (`client` when not a node). */
export function lucentSourceOf(cluster: string, origin: string): string {
  return `/lucent/${cluster}/${origin === '' ? 'client' : origin}`;
}

/**
 * The CloudEvent for stored event `envelope` of `cluster`, its data encoded as `format`. Throws `EncodeError`
 * when the payload cannot be encoded so.
 */
export function cloudEventOfEnvelope(envelope: Envelope, cluster: string, format: PayloadFormat): CloudEventMessage {
  const attributes: Record<string, { ce_string: string }> = {
    datacontenttype: { ce_string: mediaTypeOf(format) },
  };
  if (envelope.traceparent !== '') attributes.traceparent = { ce_string: envelope.traceparent };
  return {
    id: envelope.id,
    source: lucentSourceOf(cluster, envelope.origin),
    spec_version: CLOUD_EVENTS_SPEC_VERSION,
    type: envelope.target,
    attributes,
    binary_data: encodePayload(envelope.payload, format),
  };
}
