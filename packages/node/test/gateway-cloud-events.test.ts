/**
 * The pure CloudEvents parts: reading binary, structured and batch requests into the events to emit (and refusing
 * bad ones with a reason), and the Lucent event → CloudEvent mapping.
 */
import { eventEnvelope } from '@lucent/core/internal';
import { HTTP } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { cloudEventDedupId, fromCloudEvent, toCloudEvent } from '../src/gateway/lucent-cloud-event.js';
import { parseCloudEvents } from '../src/gateway/parse-cloud-events.js';
import { codeOf } from './error-code.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

const binaryHeaders = {
  'ce-specversion': '1.0',
  'ce-id': 'order-1',
  'ce-source': '/shop',
  'ce-type': 'OrderPlaced',
  'content-type': 'application/json',
};

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(codeOf(() => run())).toBe('LUCENT_INVALID_CLOUD_EVENT');
    return (error as { details: { reason: string } }).details.reason;
  }
  throw new Error('expected an InvalidCloudEventError');
}

describe('parseCloudEvents: binary mode', () => {
  it('reads the ce-* headers and parses JSON data; the dedup id comes from source + id', () => {
    const [event, ...rest] = parseCloudEvents({ headers: binaryHeaders, body: utf8('{"total":42}') });
    expect(rest).toEqual([]);
    expect(event).toEqual({ type: 'OrderPlaced', data: { total: 42 }, id: cloudEventDedupId('/shop', 'order-1') });
  });

  it('keeps bytes as bytes, text as text, and no body as null', () => {
    const bytes = parseCloudEvents({
      headers: { ...binaryHeaders, 'content-type': 'application/octet-stream' },
      body: new Uint8Array([1, 2, 255]),
    });
    expect(Array.from(bytes[0]?.data as Uint8Array)).toEqual([1, 2, 255]);
    const text = parseCloudEvents({ headers: { ...binaryHeaders, 'content-type': 'text/plain' }, body: utf8('hi') });
    expect(text[0]?.data).toBe('hi');
    expect(parseCloudEvents({ headers: binaryHeaders, body: new Uint8Array() })[0]?.data).toBeNull();
  });

  it('refuses a missing source, a missing specversion, bad JSON data and a type that is not a Lucent type', () => {
    const { 'ce-source': _source, ...noSource } = binaryHeaders;
    expect(reasonOf(() => parseCloudEvents({ headers: noSource, body: utf8('{}') }))).toMatch(/source/);
    const { 'ce-specversion': _v, ...noVersion } = binaryHeaders;
    expect(reasonOf(() => parseCloudEvents({ headers: noVersion, body: utf8('{}') }))).toMatch(/specversion/);
    expect(reasonOf(() => parseCloudEvents({ headers: binaryHeaders, body: utf8('{"total":') }))).toMatch(/JSON/);
    const emptyPart = { ...binaryHeaders, 'ce-type': 'com..order' };
    expect(reasonOf(() => parseCloudEvents({ headers: emptyPart, body: utf8('{}') }))).toMatch(
      /'com\.\.order' is not an event type/,
    );
    // `__` stands for a dot: `com__order` would be the same Lucent event as `com.order`.
    const reserved = { ...binaryHeaders, 'ce-type': 'com__order' };
    expect(reasonOf(() => parseCloudEvents({ headers: reserved, body: utf8('{}') }))).toMatch(/reserves for a dot/);
  });

  it('takes a dotted (reverse-DNS) type as its event type name, and gives it back dotted on the way out', () => {
    const dotted = { ...binaryHeaders, 'ce-type': 'com.example.order.created' };
    const [event] = parseCloudEvents({ headers: dotted, body: utf8('{"n":1}') });
    expect(event?.type).toBe('com__example__order__created');
    const envelope = eventEnvelope(event?.type ?? '', { n: 1 }, { id: 'e-1' });
    const out = toCloudEvent(envelope, { cluster: 'c', time: '2026-01-01T00:00:00Z' });
    expect(out.type).toBe('com.example.order.created');
    // Lucent's own types leave as they are.
    expect(toCloudEvent(eventEnvelope('shipCompleted', 1), { cluster: 'c', time: '2026-01-01T00:00:00Z' }).type).toBe(
      'shipCompleted',
    );
  });

  it('keeps a W3C traceparent (distributed tracing extension) and refuses a malformed one', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const [traced] = parseCloudEvents({
      headers: { ...binaryHeaders, 'ce-traceparent': traceparent },
      body: utf8('{}'),
    });
    expect(traced?.traceparent).toBe(traceparent);
    const bad = { ...binaryHeaders, 'ce-traceparent': 'not-a-trace' };
    expect(reasonOf(() => parseCloudEvents({ headers: bad, body: utf8('{}') }))).toMatch(/traceparent/);
  });

  it('refuses a request that is no CloudEvent at all', () => {
    const reason = reasonOf(() =>
      parseCloudEvents({ headers: { 'content-type': 'application/json' }, body: utf8('{}') }),
    );
    expect(reason).toMatch(/not a CloudEvent/);
  });
});

describe('parseCloudEvents: structured mode', () => {
  const headers = { 'content-type': 'application/cloudevents+json; charset=utf-8' };
  const event = { specversion: '1.0', id: 'e-1', source: '/shop', type: 'OrderPlaced', data: { total: 7 } };

  it('reads attributes and data from the JSON body', () => {
    expect(parseCloudEvents({ headers, body: utf8(JSON.stringify(event)) })).toEqual([
      { type: 'OrderPlaced', data: { total: 7 }, id: cloudEventDedupId('/shop', 'e-1') },
    ]);
  });

  it('decodes data_base64 to bytes', () => {
    const body = { ...event, data: undefined, data_base64: Buffer.from([9, 8, 7]).toString('base64') };
    const [parsed] = parseCloudEvents({ headers, body: utf8(JSON.stringify(body)) });
    expect(parsed?.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(parsed?.data as Uint8Array)).toEqual([9, 8, 7]);
  });

  it('refuses a missing id (the SDK would invent one, defeating deduplication), a missing type and bad JSON', () => {
    const { id: _id, ...noId } = event;
    expect(reasonOf(() => parseCloudEvents({ headers, body: utf8(JSON.stringify(noId)) }))).toMatch(/'id'/);
    const { type: _type, ...noType } = event;
    expect(reasonOf(() => parseCloudEvents({ headers, body: utf8(JSON.stringify(noType)) }))).toMatch(/type/);
    expect(reasonOf(() => parseCloudEvents({ headers, body: utf8('{"id":') }))).toMatch(/not JSON/);
    expect(reasonOf(() => parseCloudEvents({ headers, body: utf8('[1]') }))).toMatch(/JSON object/);
  });
});

describe('parseCloudEvents: batch', () => {
  const headers = { 'content-type': 'application/cloudevents-batch+json' };
  const one = (n: number) => ({ specversion: '1.0', id: `b-${n}`, source: '/batch', type: 'Tick', data: { n } });

  it('reads every element in order; an empty batch is no event', () => {
    const events = parseCloudEvents({ headers, body: utf8(JSON.stringify([one(1), one(2), one(3)])) });
    expect(events.map((event) => event.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(new Set(events.map((event) => event.id)).size).toBe(3);
    expect(parseCloudEvents({ headers, body: utf8('[]') })).toEqual([]);
  });

  it('refuses the whole batch for one bad element and names it', () => {
    const { source: _source, ...noSource } = one(2);
    const reason = reasonOf(() => parseCloudEvents({ headers, body: utf8(JSON.stringify([one(1), noSource])) }));
    expect(reason).toMatch(/^batch element 1: .*source/);
    expect(reasonOf(() => parseCloudEvents({ headers, body: utf8('{}') }))).toMatch(/JSON array/);
  });
});

describe('parseCloudEvents: cost', () => {
  it('restores Error.stackTraceLimit after a parse, also after a refused one', () => {
    const before = Error.stackTraceLimit;
    parseCloudEvents({ headers: binaryHeaders, body: utf8('{}') });
    expect(Error.stackTraceLimit).toBe(before);
    expect(codeOf(() => parseCloudEvents({ headers: {}, body: utf8('{}') }))).toBe('LUCENT_INVALID_CLOUD_EVENT');
    expect(Error.stackTraceLimit).toBe(before);
  });
});

describe('cloudEventDedupId', () => {
  it('is the same for the same pair and differs when the split between source and id moves', () => {
    expect(cloudEventDedupId('/a', 'b')).toBe(cloudEventDedupId('/a', 'b'));
    expect(cloudEventDedupId('/a', 'bc')).not.toBe(cloudEventDedupId('/ab', 'c'));
    expect(cloudEventDedupId('/a', 'b')).toMatch(/^ce-[A-Za-z0-9_-]{22}$/);
  });
});

describe('toCloudEvent', () => {
  const time = '2026-01-02T03:04:05.000Z';

  it('maps a Completed event: type, id, source from cluster and node, JSON data, trace context', () => {
    const envelope = eventEnvelope(
      'tallyCompleted',
      { n: 3 },
      {
        id: 'ev-1.tally',
        origin: 'node-a',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    );
    const event = toCloudEvent(envelope, { cluster: 'prod', time });
    expect(event.validate()).toBe(true);
    expect(JSON.parse(HTTP.structured(event).body as string)).toEqual({
      specversion: '1.0',
      id: 'ev-1.tally',
      source: 'lucent://prod/node-a',
      type: 'tallyCompleted',
      time,
      datacontenttype: 'application/json',
      data: { n: 3 },
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
  });

  it('sends bytes as data_base64, and a client-emitted event has the cluster as source', () => {
    const event = toCloudEvent(eventEnvelope('Blob', new Uint8Array([1, 2]), { id: 'x' }), { cluster: 'c', time });
    const json = JSON.parse(HTTP.structured(event).body as string);
    expect(json).toMatchObject({
      source: 'lucent://c',
      datacontenttype: 'application/octet-stream',
      data_base64: 'AQI=',
    });
    expect(json.data).toBeUndefined();
  });

  it('round-trips through fromCloudEvent to the same type and data', () => {
    const event = toCloudEvent(eventEnvelope('Tick', { n: 1 }, { id: 'i' }), { cluster: 'c', time });
    expect(fromCloudEvent(event)).toEqual({ type: 'Tick', data: { n: 1 }, id: cloudEventDedupId('lucent://c', 'i') });
  });
});
