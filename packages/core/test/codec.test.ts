import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_MESSAGE_BYTES, EnvelopeCodec } from '../src/codec.js';
import {
  callEnvelope,
  createEnvelope,
  type Envelope,
  EnvelopeKind,
  errorEnvelope,
  eventEnvelope,
  replyEnvelope,
} from '../src/envelope.js';
import { ConfigError, DecodeError, EncodeError, TimeoutError } from '../src/errors.js';
import { codeOf } from './error-code.js';

const order = { orderId: 'ord-000123', symbol: 'AAPL', qty: 100, price: 187.25, side: 'buy' };

function sampleCall(payload: unknown = order): Envelope {
  return callEnvelope('orders.place', payload, {
    id: 'abc.1',
    deadline: 1_795_000_000_000,
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    origin: 'node-a',
  });
}

describe('EnvelopeCodec single envelopes', () => {
  it('round-trips every field of a call, smaller than its JSON', () => {
    const codec = new EnvelopeCodec();
    const env = sampleCall();
    const bytes = codec.encode(env);
    expect(codec.decode(bytes)).toEqual(env);
    expect(bytes.length).toBeLessThan(Buffer.byteLength(JSON.stringify(env)));
    expect(bytes[0]).toBe(0x40); // the shared envelope record: no key names on the wire
  });

  it('round-trips replies and error envelopes with a WireError payload', () => {
    const codec = new EnvelopeCodec();
    const request = sampleCall();
    const reply = replyEnvelope(request, { filled: true }, 'node-b');
    const failure = errorEnvelope(request, new TimeoutError({ target: 'orders.place', timeoutMs: 5 }).toWire('node-b'));
    expect(codec.decode(codec.encode(reply))).toEqual(reply);
    const decoded = codec.decode(codec.encode(failure));
    expect(decoded).toEqual(failure);
    expect(TimeoutError.is(decoded.payload)).toBe(true);
  });

  it('decodes in a codec that never saw the encoder (two processes)', () => {
    const sender = new EnvelopeCodec();
    const shapes: Envelope[] = [];
    for (let i = 0; i < 300; i++) {
      // 300 distinct payload shapes, more than msgpackr's 32 own-structure slots.
      shapes.push(eventEnvelope(`evt.${i}`, { [`k${i}`]: i, nested: { [`n${i % 50}`]: [i, { deep: `v${i}` }] } }));
    }
    const encoded = shapes.map((e) => sender.encodeDetached(e));
    const receiver = new EnvelopeCodec();
    for (let i = 0; i < encoded.length; i++) expect(receiver.decode(encoded[i] as Uint8Array)).toEqual(shapes[i]);
    // Nothing was learned: a fresh codec writes the same bytes as the one that encoded 300 shapes.
    const last = shapes[shapes.length - 1] as Envelope;
    expect(new EnvelopeCodec().encodeDetached(last)).toEqual(sender.encodeDetached(last));
  });

  it('returns stable bytes from encode and an exact-size owned copy from encodeDetached', () => {
    const codec = new EnvelopeCodec();
    const first = codec.encode(sampleCall());
    const snapshot = Uint8Array.from(first);
    for (let i = 0; i < 2000; i++) codec.encode(sampleCall({ i, filler: 'x'.repeat(i % 300) }));
    expect(Uint8Array.from(first)).toEqual(snapshot); // never overwritten by later encodes
    const detached = codec.encodeDetached(sampleCall());
    expect(detached.byteOffset).toBe(0);
    expect(detached.buffer.byteLength).toBe(detached.length);
    expect(detached).toEqual(snapshot);
  });

  it('decoded binary payloads are copies, not views of the input', () => {
    const codec = new EnvelopeCodec();
    const bytes = codec.encodeDetached(sampleCall({ buf: Buffer.from([1, 2, 3]), u8: new Uint8Array([4, 5]) }));
    const decoded = codec.decode(bytes).payload as { buf: Buffer; u8: Uint8Array };
    bytes.fill(0);
    expect([...decoded.buf, ...decoded.u8]).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps the envelope structure after a message that redefines its record id', () => {
    const codec = new EnvelopeCodec();
    const plain = new Packr({ useRecords: false });
    const header = plain.pack([1, 'id.1', 'fn', '', 0, 0, '', '', '', null]).subarray(1); // the 10 header values
    // Payload: a record definition for id 0x40 with other keys, then one object of that record.
    const redefinition = Buffer.concat([Buffer.from([0xd4, 0x72, 0x40]), plain.pack(['evil']), plain.pack(1)]);
    const crafted = Buffer.concat([Buffer.from([0x40]), header, redefinition]);
    expect(codec.decode(crafted).payload).toEqual({ evil: 1 });
    expect(codec.decode(codec.encode(sampleCall()))).toEqual(sampleCall());
  });
});

describe('EnvelopeCodec size limit', () => {
  it('defaults to 1 MiB', () => {
    expect(new EnvelopeCodec().maxMessageBytes).toBe(DEFAULT_MAX_MESSAGE_BYTES);
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(1024 * 1024);
  });

  it('throws EncodeError above the limit and accepts up to it', () => {
    const codec = new EnvelopeCodec({ maxMessageBytes: 1000 });
    const small = sampleCall('x'.repeat(700));
    expect(codec.encode(small).length).toBeLessThanOrEqual(1000);
    expect(codeOf(() => codec.encode(sampleCall('x'.repeat(1000))))).toBe(EncodeError.code);
    expect(codeOf(() => new EnvelopeCodec().encode(sampleCall('x'.repeat(2 * 1024 * 1024))))).toBe(EncodeError.code);
  });

  it('throws DecodeError above the limit without parsing', () => {
    const bytes = new EnvelopeCodec().encodeDetached(sampleCall('x'.repeat(2000)));
    const strict = new EnvelopeCodec({ maxMessageBytes: 1000 });
    let thrown: unknown;
    try {
      strict.decode(bytes);
    } catch (error) {
      thrown = error;
    }
    expect(DecodeError.is(thrown)).toBe(true);
    expect((thrown as DecodeError).cause).toBeUndefined(); // msgpackr was never called
    expect((thrown as DecodeError).details.byteLength).toBe(bytes.length);
  });

  it('rejects a non-positive limit', () => {
    expect(codeOf(() => new EnvelopeCodec({ maxMessageBytes: 0 }))).toBe(ConfigError.code);
    expect(codeOf(() => new EnvelopeCodec({ maxMessageBytes: 1.5 }))).toBe(ConfigError.code);
  });
});

describe('EnvelopeCodec rejects what is not an envelope', () => {
  const codec = new EnvelopeCodec();
  const valid = codec.encodeDetached(sampleCall());
  const records = new Packr({ structures: [] });

  it.each([
    ['empty input', new Uint8Array(0)],
    ['truncated', valid.subarray(0, valid.length - 3)],
    ['trailing bytes', Buffer.concat([valid, Buffer.from([0x01])])],
    ['a msgpack string', new Packr().pack('hello')],
    ['a plain map with envelope keys', new Packr({ useRecords: false }).pack(sampleCall())],
    ['an unknown kind', withHeader([9, 'id', 't', '', 0, 0, '', '', '', null])],
    ['kind as a string', withHeader(['call', 'id', 't', '', 0, 0, '', '', '', null])],
    ['an empty id', withHeader([1, '', 't', '', 0, 0, '', '', '', null])],
    ['a negative deadline', withHeader([1, 'id', 't', '', -1, 0, '', '', '', null])],
    ['fractional hops', withHeader([1, 'id', 't', '', 0, 1.5, '', '', '', null])],
    ['a numeric target', withHeader([1, 'id', 7, '', 0, 0, '', '', '', null])],
    ['an error kind without a WireError payload', withHeader([6, 'id', 't', 'c', 0, 0, '', '', '', null], 'oops')],
    ['bytes behind another first byte', Uint8Array.from([0xc1, ...valid.subarray(1)])],
    ['a record of another program', records.pack({ a: 1 })],
  ])('%s throws DecodeError', (_name, bytes) => {
    expect(codeOf(() => codec.decode(bytes))).toBe(DecodeError.code);
  });

  it('throws DecodeError for input that is not a Uint8Array', () => {
    expect(codeOf(() => codec.decode('nope' as unknown as Uint8Array))).toBe(DecodeError.code);
  });

  it('wraps msgpackr failures keeping the original as cause', () => {
    let thrown: unknown;
    try {
      codec.decode(valid.subarray(0, 20));
    } catch (error) {
      thrown = error;
    }
    expect(DecodeError.is(thrown)).toBe(true);
    expect((thrown as DecodeError).cause).toBeInstanceOf(Error);
  });
});

describe('EnvelopeCodec encode errors', () => {
  const codec = new EnvelopeCodec();
  it.each([
    ['a symbol', sampleCall(Symbol('s'))],
    ['a wrong field type', { ...sampleCall(), hops: -1 }],
    ['an unknown kind', { ...sampleCall(), kind: 0 as EnvelopeKind }],
    [
      'keys in another order',
      {
        target: 'fn',
        kind: 1,
        id: 'x.1',
        correlationId: '',
        deadline: 0,
        hops: 0,
        traceparent: '',
        origin: '',
        causationId: '',
        metadata: null,
        payload: 1,
      },
    ],
    ['an extra key', { ...sampleCall(), extra: 1 }],
  ])('%s throws EncodeError', (_name, env) => {
    expect(codeOf(() => codec.encode(env as Envelope))).toBe(EncodeError.code);
  });

  it('a cyclic payload throws EncodeError', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(codeOf(() => codec.encode(sampleCall(cyclic)))).toBe(EncodeError.code);
  });

  it('stays usable after a failed encode', () => {
    expect(codeOf(() => codec.encode(sampleCall(Symbol('s'))))).toBe(EncodeError.code);
    expect(codec.decode(codec.encode(sampleCall()))).toEqual(sampleCall());
  });

  it('builds envelopes whose key order is the wire order', () => {
    expect(codec.encode(createEnvelope(EnvelopeKind.Control, 'node-a', null))[0]).toBe(0x40);
  });
});

/** A single-envelope encoding built by hand: the shared record id, 10 header values, then the payload. */
function withHeader(values: unknown[], payload: unknown = null): Uint8Array {
  const plain = new Packr({ useRecords: false });
  return Buffer.concat([Buffer.from([0x40]), plain.pack(values).subarray(1), plain.pack(payload)]);
}

describe('over-size errors (issue 15)', () => {
  it('name the size, the limit and the setting that raises it', () => {
    const codec = new EnvelopeCodec({ maxMessageBytes: 256 });
    let error: unknown;
    try {
      codec.encode(sampleCall('x'.repeat(1000)));
    } catch (e) {
      error = e;
    }
    const { details, message } = error as EncodeError;
    expect(details.limitBytes).toBe(256);
    expect(details.byteLength).toBeGreaterThan(1000);
    expect(details.raiseWith).toContain('maxMessageBytes');
    expect(message).toContain('256 bytes');
    expect(message).toContain('max_payload');
  });
});
