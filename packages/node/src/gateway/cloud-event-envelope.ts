/**
 * A stored Lucent event as the protobuf CloudEvent `Subscribe` streams. Pure. Ids and sources are the ones the
 * CloudEvents HTTP half uses (`lucent-cloud-event.ts`), so an event looks the same on both ways out, and a
 * CloudEvent emitted over gRPC or posted over HTTP gets the same Lucent id (it dedups across both).
 *
 * ```
 *  event envelope { id, target = type, origin, traceparent, payload }
 *    ─► CloudEvent { id, source 'lucent://<cluster>/<origin>', spec_version '1.0', type,
 *                    datacontenttype, traceparent (when traced), binary_data }
 * ```
 */
import { dottedEventType, type Envelope } from '@lucent/core/internal';
import { type CloudEventMessage, encodePayload, mediaTypeOf, type PayloadFormat } from './cloud-event-payload.js';
import { lucentEventSource } from './lucent-cloud-event.js';

/** The CloudEvents specification version the gateway speaks. */
export const CLOUD_EVENTS_SPEC_VERSION = '1.0';

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
    source: lucentEventSource(cluster, envelope.origin),
    spec_version: CLOUD_EVENTS_SPEC_VERSION,
    type: dottedEventType(envelope.target),
    attributes,
    binary_data: encodePayload(envelope.payload, format),
  };
}
