import { EncodeError, InvalidCloudEventError } from '@lucent/core/internal';
import fc from 'fast-check';
import { Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  type CloudEventMessage,
  encodePayload,
  formatOfMediaType,
  mediaTypeOf,
  PayloadFormat,
  readCloudEvent,
} from '../src/gateway/cloud-event-payload.js';
import { codeOf } from './error-code.js';

const attr = (value: string) => ({ attr: 'ce_string', ce_string: value });
const json = (value: unknown, attributes: Record<string, ReturnType<typeof attr>> = {}): CloudEventMessage => ({
  id: '1',
  source: '/test',
  spec_version: '1.0',
  type: 't',
  attributes,
  data: 'binary_data',
  binary_data: Buffer.from(JSON.stringify(value)),
});

/** The `field` of the `InvalidCloudEventError` `read` throws. */
function invalidField(read: () => unknown): string | undefined {
  try {
    read();
  } catch (error) {
    expect(InvalidCloudEventError.is(error)).toBe(true);
    return (error as InvalidCloudEventError).details.field;
  }
  return undefined;
}

describe('formatOfMediaType', () => {
  it('reads JSON (with parameters and +json suffixes) and msgpack, and nothing else', () => {
    expect(formatOfMediaType('application/json')).toBe(PayloadFormat.Json);
    expect(formatOfMediaType('Application/JSON; charset=utf-8')).toBe(PayloadFormat.Json);
    expect(formatOfMediaType('application/cloudevents+json')).toBe(PayloadFormat.Json);
    expect(formatOfMediaType('application/msgpack')).toBe(PayloadFormat.Msgpack);
    expect(formatOfMediaType('application/x-msgpack')).toBe(PayloadFormat.Msgpack);
    expect(formatOfMediaType('application/xml')).toBeUndefined();
    expect(formatOfMediaType('')).toBeUndefined();
    expect(mediaTypeOf(PayloadFormat.Json)).toBe('application/json');
    expect(mediaTypeOf(PayloadFormat.Msgpack)).toBe('application/msgpack');
  });
});

describe('readCloudEvent', () => {
  it('reads binary JSON by default and answers in JSON', () => {
    expect(readCloudEvent(json({ symbol: 'ACME', qty: 3 }), 'event')).toEqual({
      value: { symbol: 'ACME', qty: 3 },
      reply: PayloadFormat.Json,
    });
  });

  it('reads JSON text data', () => {
    const event: CloudEventMessage = { type: 't', data: 'text_data', text_data: '[1,2]' };
    expect(readCloudEvent(event, 'event').value).toEqual([1, 2]);
  });

  it('reads msgpack data and answers in msgpack, unless `accept` asks for JSON', () => {
    const packed = encodePayload({ n: 7 }, PayloadFormat.Msgpack);
    const event: CloudEventMessage = {
      attributes: { datacontenttype: attr('application/msgpack') },
      data: 'binary_data',
      binary_data: packed,
    };
    expect(readCloudEvent(event, 'event')).toEqual({ value: { n: 7 }, reply: PayloadFormat.Msgpack });
    const wantsJson = { ...event, attributes: { ...event.attributes, accept: attr('application/json') } };
    expect(readCloudEvent(wantsJson, 'event').reply).toBe(PayloadFormat.Json);
  });

  it('gives `undefined` for an event without data, or with empty data', () => {
    expect(readCloudEvent({ type: 't' }, 'event').value).toBeUndefined();
    expect(readCloudEvent({ data: 'binary_data', binary_data: new Uint8Array(0) }, 'event').value).toBeUndefined();
  });

  it('refuses with InvalidCloudEventError naming the field: no event, unknown types, bad data, an unreadable proto Any', () => {
    expect(invalidField(() => readCloudEvent(undefined, 'event'))).toBe('event');
    expect(invalidField(() => readCloudEvent(null, 'event'))).toBe('event');
    expect(invalidField(() => readCloudEvent(json(1, { datacontenttype: attr('text/xml') }), 'event'))).toBe(
      'event.datacontenttype',
    );
    expect(invalidField(() => readCloudEvent(json(1, { accept: attr('text/csv') }), 'event'))).toBe('event.accept');
    expect(
      invalidField(() => readCloudEvent({ data: 'binary_data', binary_data: Buffer.from('{"a":') }, 'event')),
    ).toBe('event.binary_data');
    expect(invalidField(() => readCloudEvent({ data: 'text_data', text_data: 'not json' }, 'event'))).toBe(
      'event.text_data',
    );
    const msgpackText: CloudEventMessage = {
      attributes: { datacontenttype: attr('application/msgpack') },
      data: 'text_data',
      text_data: 'abc',
    };
    expect(invalidField(() => readCloudEvent(msgpackText, 'event'))).toBe('event.text_data');
    const truncated: CloudEventMessage = {
      attributes: { datacontenttype: attr('application/msgpack') },
      data: 'binary_data',
      binary_data: Uint8Array.of(0x92, 0x01),
    };
    expect(invalidField(() => readCloudEvent(truncated, 'event'))).toBe('event.binary_data');
    const proto: CloudEventMessage = {
      data: 'proto_data',
      proto_data: { type_url: 'acme.Order', value: Uint8Array.of(1) },
    };
    expect(invalidField(() => readCloudEvent(proto, 'req'))).toBe('req.proto_data');
  });
});

describe('encodePayload', () => {
  it('writes plain MessagePack maps that any MessagePack library reads (no record extension)', () => {
    const bytes = encodePayload({ a: 1 }, PayloadFormat.Msgpack);
    // A map header (fixmap, map16 or map32), not msgpackr's record extension.
    expect([0x81, 0xde, 0xdf]).toContain(bytes[0]);
    expect(new Unpackr({ useRecords: false }).unpack(bytes)).toEqual({ a: 1 });
  });

  it('writes `undefined` as JSON null and msgpack nil', () => {
    expect(encodePayload(undefined, PayloadFormat.Json).toString()).toBe('null');
    expect([...encodePayload(undefined, PayloadFormat.Msgpack)]).toEqual([0xc0]);
  });

  it('throws EncodeError for a value JSON cannot hold', () => {
    expect(codeOf(() => encodePayload({ big: 1n }, PayloadFormat.Json))).toBe(EncodeError.code);
  });

  it('round-trips JSON values through both formats and readCloudEvent', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(PayloadFormat.Json, PayloadFormat.Msgpack), (value, format) => {
        const event: CloudEventMessage = {
          attributes: { datacontenttype: attr(mediaTypeOf(format)) },
          data: 'binary_data',
          binary_data: encodePayload(value, format),
        };
        // JSON has no -0: it arrives as 0, as through JSON.parse(JSON.stringify(value)).
        expect(readCloudEvent(event, 'event').value).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});
