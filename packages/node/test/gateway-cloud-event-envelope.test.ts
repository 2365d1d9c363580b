import { eventEnvelope } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { cloudEventOfEnvelope } from '../src/gateway/cloud-event-envelope.js';
import { PayloadFormat, readCloudEvent } from '../src/gateway/cloud-event-payload.js';

describe('cloudEventOfEnvelope', () => {
  it('streams a stored event as a CloudEvent whose data decodes back to the payload', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const envelope = eventEnvelope('priceCompleted', { total: 30 }, { id: 'e1.price', origin: 'n1', traceparent });
    const event = cloudEventOfEnvelope(envelope, 'prod', PayloadFormat.Msgpack);
    expect(event).toMatchObject({
      id: 'e1.price',
      source: 'lucent://prod/n1',
      spec_version: '1.0',
      type: 'priceCompleted',
      attributes: { datacontenttype: { ce_string: 'application/msgpack' }, traceparent: { ce_string: traceparent } },
    });
    expect(readCloudEvent(event, 'event').value).toEqual({ total: 30 });
  });

  it('names the cluster alone as the source of a client-stored event, and carries no traceparent when untraced', () => {
    const event = cloudEventOfEnvelope(eventEnvelope('Tick', 1, { id: 'x' }), 'prod', PayloadFormat.Json);
    expect(event.source).toBe('lucent://prod');
    expect(event.attributes).toEqual({ datacontenttype: { ce_string: 'application/json' } });
  });
});
