import { eventEnvelope } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { cloudEventOfEnvelope, lucentEventIdOf, lucentSourceOf } from '../src/gateway/cloud-event-envelope.js';
import { PayloadFormat, readCloudEvent } from '../src/gateway/cloud-event-payload.js';

describe('lucentEventIdOf', () => {
  it('is the same for the same (source, id), and differs when either differs', () => {
    const id = lucentEventIdOf('/orders', 'o-1');
    expect(id).toMatch(/^ce-[0-9a-f]{32}$/);
    expect(lucentEventIdOf('/orders', 'o-1')).toBe(id);
    expect(lucentEventIdOf('/orders', 'o-2')).not.toBe(id);
    expect(lucentEventIdOf('/billing', 'o-1')).not.toBe(id);
    // The separator keeps (a, bc) and (ab, c) apart.
    expect(lucentEventIdOf('a', 'bc')).not.toBe(lucentEventIdOf('ab', 'c'));
  });
});

describe('cloudEventOfEnvelope', () => {
  it('streams a stored event as a CloudEvent whose data decodes back to the payload', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const envelope = eventEnvelope('priceCompleted', { total: 30 }, { id: 'e1.price', origin: 'n1', traceparent });
    const event = cloudEventOfEnvelope(envelope, 'prod', PayloadFormat.Msgpack);
    expect(event).toMatchObject({
      id: 'e1.price',
      source: '/lucent/prod/n1',
      spec_version: '1.0',
      type: 'priceCompleted',
      attributes: { datacontenttype: { ce_string: 'application/msgpack' }, traceparent: { ce_string: traceparent } },
    });
    expect(readCloudEvent(event, 'event').value).toEqual({ total: 30 });
  });

  it('names a client-stored event `client` and carries no traceparent when untraced', () => {
    const event = cloudEventOfEnvelope(eventEnvelope('Tick', 1, { id: 'x' }), 'prod', PayloadFormat.Json);
    expect(event.source).toBe(lucentSourceOf('prod', ''));
    expect(event.source).toBe('/lucent/prod/client');
    expect(event.attributes).toEqual({ datacontenttype: { ce_string: 'application/json' } });
  });
});
