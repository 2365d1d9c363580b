import { Packr } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { EnvelopeCodec } from '../src/codec.js';
import { callEnvelope } from '../src/envelope.js';
import { DecodeError } from '../src/errors.js';

const codec = new EnvelopeCodec();
const plainPackr = new Packr({ useRecords: false, variableMapSize: true });

/** Encodes `payloadBytes` (raw msgpack) as the payload of an otherwise valid call envelope. */
function envelopeWithRawPayload(payloadBytes: Uint8Array): Uint8Array {
  const header = plainPackr.pack([1, 'id.1', 'fn', '', 0, 0, '', '', '', null]).subarray(1);
  return Buffer.concat([Buffer.from([0x40]), header, payloadBytes]);
}

/** msgpack map with string keys, written by hand so no encoder can rename or drop the keys. */
function rawMap(entries: [string, unknown][]): Buffer {
  const parts: Uint8Array[] = [Buffer.from([0x80 + entries.length])];
  for (const [k, v] of entries) parts.push(plainPackr.pack(k), plainPackr.pack(v));
  return Buffer.concat(parts);
}

function decodedPayload(bytes: Uint8Array): Record<string, unknown> {
  return codec.decode(bytes).payload as Record<string, unknown>;
}

function expectUnpolluted(value: unknown): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  const proto = Object.getPrototypeOf(value);
  expect(proto === Object.prototype || proto === null).toBe(true);
}

describe('decoding never pollutes prototypes', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it('a payload object with an own __proto__ key (as JSON.parse makes) arrives as __proto_', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const got = decodedPayload(codec.encode(callEnvelope('fn', hostile)));
    expectUnpolluted(got);
    expect(got.polluted).toBeUndefined();
    expect(got.__proto_).toEqual({ polluted: true });
    expect(got.a).toBe(1);
  });

  it('msgpack maps with __proto__, constructor and prototype keys decode to plain objects', () => {
    const inner = rawMap([['polluted', true]]);
    const map = Buffer.concat([
      Buffer.from([0x83]),
      plainPackr.pack('__proto__'),
      inner,
      plainPackr.pack('constructor'),
      Buffer.concat([Buffer.from([0x81]), plainPackr.pack('prototype'), inner]),
      plainPackr.pack('prototype'),
      inner,
    ]);
    const got = decodedPayload(envelopeWithRawPayload(map));
    expectUnpolluted(got);
    expect(Object.keys(got).sort()).toEqual(['__proto_', 'constructor', 'prototype']);
    expect(got.polluted).toBeUndefined();
    expect(({} as { constructor: unknown }).constructor).toBe(Object);
  });

  it('a JavaScript Map with a __proto__ key decodes to a plain object without pollution', () => {
    const map = new Map<string, unknown>([
      ['__proto__', { polluted: true }],
      ['constructor', { prototype: { polluted: true } }],
    ]);
    const got = decodedPayload(codec.encode(callEnvelope('fn', map)));
    expectUnpolluted(got);
    expect(got).not.toBeInstanceOf(Map);
  });

  it('a record definition with a __proto__ key does not pollute', () => {
    // fixext1 'r' defines record 0x41 with keys [__proto__, x], then its values.
    const record = Buffer.concat([
      Buffer.from([0xd4, 0x72, 0x41]),
      plainPackr.pack(['__proto__', 'x']),
      rawMap([['polluted', true]]),
      plainPackr.pack(1),
    ]);
    const got = decodedPayload(envelopeWithRawPayload(record));
    expectUnpolluted(got);
    expect(got.polluted).toBeUndefined();
    expect(got.x).toBe(1);
  });

  it('records with a __proto__ key stay safe once msgpackr compiles their reader (4th use)', () => {
    const values = Buffer.concat([rawMap([['polluted', true]]), plainPackr.pack(1)]);
    const defined = Buffer.concat([Buffer.from([0xd4, 0x72, 0x41]), plainPackr.pack(['__proto__', 'x']), values]);
    const reuse = Buffer.concat([Buffer.from([0x41]), values]);
    const array = Buffer.concat([Buffer.from([0x95]), defined, reuse, reuse, reuse, reuse]);
    const got = codec.decode(envelopeWithRawPayload(array)).payload as Record<string, unknown>[];
    expect(got).toHaveLength(5);
    for (const item of got) {
      expectUnpolluted(item);
      expect(item.x).toBe(1);
      expect(item.__proto_).toEqual({ polluted: true });
    }
  });

  it('rejects the structured-clone reference extension', () => {
    // fixext4 0x69 (object id) wrapping a map whose key is __proto__.
    const idExt = Buffer.concat([Buffer.from([0xd6, 0x69, 0, 0, 0, 1]), rawMap([['__proto__', 1]])]);
    expect(() => codec.decode(envelopeWithRawPayload(idExt))).toThrow(DecodeError);
    expectUnpolluted({});
  });
});

describe('what survives the wire (documented in codec.ts)', () => {
  const roundTrip = (value: unknown) => codec.decode(codec.encode(callEnvelope('fn', value))).payload;

  it('keeps undefined distinct from null, in objects and arrays', () => {
    expect(roundTrip({ a: undefined, b: null })).toStrictEqual({ a: undefined, b: null });
    expect(roundTrip([undefined, null])).toStrictEqual([undefined, null]);
  });

  it('keeps dates, bigints of any size, NaN and infinities; -0 becomes 0', () => {
    expect(roundTrip(new Date(1_700_000_000_123))).toEqual(new Date(1_700_000_000_123));
    expect(roundTrip(2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
    expect(roundTrip(-(2n ** 200n) + 7n)).toBe(-(2n ** 200n) + 7n);
    expect(roundTrip(Number.NaN)).toBeNaN();
    expect(roundTrip(Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(roundTrip(-0), 0)).toBe(true);
    expect(roundTrip(2 ** 53 - 1)).toBe(2 ** 53 - 1);
  });

  it('turns Map into an object and class instances into plain objects', () => {
    expect(
      roundTrip(
        new Map<unknown, unknown>([
          ['a', 1],
          [2, 'b'],
        ]),
      ),
    ).toStrictEqual({ a: 1, 2: 'b' });
    class Point {
      x = 1;
    }
    expect(roundTrip(new Point())).toStrictEqual({ x: 1 });
  });

  it('keeps Set, RegExp and Error (name, message, cause)', () => {
    expect(roundTrip(new Set([1, 'a']))).toStrictEqual(new Set([1, 'a']));
    expect(roundTrip(/a+b/gi)).toStrictEqual(/a+b/gi);
    const error = roundTrip(new TypeError('boom', { cause: 'why' })) as TypeError;
    expect(error).toBeInstanceOf(TypeError);
    expect([error.message, error.cause]).toEqual(['boom', 'why']);
  });

  it('keeps every typed array with its type and content (no stale buffer bytes)', () => {
    for (let i = 0; i < 50; i++) codec.encode(callEnvelope('fn', 'z'.repeat(200))); // dirty msgpackr's buffer
    const samples = [
      new Int32Array([1, -2]),
      new Float64Array([1.5, -0.25]),
      new BigInt64Array([-(2n ** 63n)]),
      new Uint16Array([65535, 7]).subarray(1),
      new Uint8Array([1, 2, 3]),
    ];
    for (const sample of samples) {
      const got = roundTrip(sample);
      expect(got).toBeInstanceOf(sample.constructor);
      expect(got).toStrictEqual(sample.slice());
    }
    expect(roundTrip(Buffer.from([9, 8]))).toStrictEqual(Buffer.from([9, 8]));
    expect(new Uint8Array(roundTrip(new Uint8Array([4, 5]).buffer) as ArrayBuffer)).toStrictEqual(
      new Uint8Array([4, 5]),
    );
  });

  it('turns functions into undefined and lone surrogates into U+FFFD', () => {
    expect(roundTrip({ f: () => 1 })).toStrictEqual({ f: undefined });
    expect(roundTrip('\ud800x')).not.toBe('\ud800x');
    expect(roundTrip('\u{1f600} ok')).toBe('\u{1f600} ok');
  });
});
