import { DecodeError, EncodeError } from '@lucent/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeKvValue, encodeKvValue } from '../src/state/kv-value-codec.js';
import { codeOf } from './error-code.js';

describe('KV value codec', () => {
  it('round-trips JSON-like data (property); -0 comes back as 0, as it would through JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        fc.pre(!JSON.stringify(value).includes('"__proto__"'));
        expect(decodeKvValue(encodeKvValue(value, 'v'), 'v')).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps undefined, Dates and byte arrays', () => {
    const value = { a: undefined, d: new Date(5), b: new Uint8Array([1, 2]) };
    expect(decodeKvValue(encodeKvValue(value, 'v'), 'v')).toEqual(value);
  });

  it('returns a buffer of its own, not a view on msgpackr’s shared pool', () => {
    const first = encodeKvValue({ n: 1 }, 'v');
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(first.byteLength);
    const copy = [...first];
    for (let i = 0; i < 2_000; i++) encodeKvValue({ n: i, pad: 'x'.repeat(100) }, 'v');
    expect([...first]).toEqual(copy);
  });

  it('rejects functions, symbols, cycles and own __proto__ keys with EncodeError, wherever they are', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const protoKey = JSON.parse('{"a":{"__proto__":{"polluted":true}}}');
    const bad = [
      protoKey,
      () => 1,
      Symbol('s'),
      { deep: [{ fn: () => 1 }] },
      new Map([['k', () => 1]]),
      new Set([Symbol()]),
      cyclic,
    ];
    for (const value of bad) expect(codeOf(() => encodeKvValue(value, 'v'))).toBe(EncodeError.code);
  });

  it('rejects bytes that are not msgpack with DecodeError', () => {
    expect(codeOf(() => decodeKvValue(new Uint8Array([0x92, 0x01]), 'v'))).toBe(DecodeError.code);
  });
});
