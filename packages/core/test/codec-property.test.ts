import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvelopeCodec } from '../src/codec.js';
import type { Envelope, EnvelopeKind } from '../src/envelope.js';
import type { WireError } from '../src/errors.js';

// Object keys: any unicode except `__proto__`, which msgpackr renames on decode (covered in codec-safety tests).
const key = fc.string({ unit: 'binary', maxLength: 12 }).filter((k) => k !== '__proto__');

const leaf = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }), // full unicode, incl. astral code points
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.integer(),
  fc.maxSafeInteger(), // above 2^32 msgpackr writes float64: still exact
  fc.double().map((d) => (Object.is(d, -0) ? 0 : d)), // -0 arrives as 0 (documented), NaN/±Infinity survive
  fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined), // stays undefined, distinct from null
  fc.uint8Array({ maxLength: 64 }),
  fc.int32Array({ maxLength: 8 }),
  fc.float64Array({ maxLength: 8 }),
  fc.date({ noInvalidDate: true }),
);

const { payload } = fc.letrec((tie) => ({
  payload: fc.oneof({ depthSize: 'small', maxDepth: 4 }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('payload'), { maxLength: 6 }),
  object: fc.dictionary(key, tie('payload'), { maxKeys: 6, noNullPrototype: true }),
}));

const text = fc.string({ unit: 'binary', maxLength: 30 });

const wireError: fc.Arbitrary<WireError> = fc.record({
  code: fc.string(),
  name: fc.string(),
  message: text,
  details: fc.dictionary(key, leaf, { maxKeys: 4, noNullPrototype: true }),
});

const nonErrorKind = fc.constantFrom(1, 2, 3, 4, 5, 7, 8) as fc.Arbitrary<EnvelopeKind>;
const header = {
  id: fc.string({ minLength: 1, maxLength: 24 }),
  target: text,
  correlationId: text,
  deadline: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: 4_102_444_800_000 }),
    fc.double({ min: 0, max: 1e15, noNaN: true }),
  ),
  hops: fc.nat(1000),
  traceparent: fc.oneof(fc.constant(''), text),
  origin: text,
  causationId: text,
  metadata: fc.oneof(fc.constant(null), fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), text)),
};

/** Envelopes of every kind, with properties in wire order (as the factories build them). */
const envelope: fc.Arbitrary<Envelope> = fc
  .oneof(
    fc.record({ kind: nonErrorKind, ...header, payload }),
    fc.record({ kind: fc.constant(6 as EnvelopeKind), ...header, payload: wireError }),
  )
  .map((e) => ({
    kind: e.kind,
    id: e.id,
    target: e.target,
    correlationId: e.correlationId,
    deadline: e.deadline,
    hops: e.hops,
    traceparent: e.traceparent,
    origin: e.origin,
    causationId: e.causationId,
    metadata: e.metadata,
    payload: e.payload,
  }));

/** Copies objects and arrays so that both sides compare with the same prototypes (null-prototype inputs). */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

describe('EnvelopeCodec properties', () => {
  it('decode(encode(e)) equals e, in the encoding codec and in a fresh one', () => {
    const sender = new EnvelopeCodec();
    const receiver = new EnvelopeCodec();
    fc.assert(
      fc.property(envelope, (env) => {
        const bytes = sender.encode(env);
        expect(plain(sender.decode(bytes))).toStrictEqual(plain(env));
        expect(plain(receiver.decode(bytes))).toStrictEqual(plain(env));
      }),
      { numRuns: 1500 },
    );
  });

  it('encodes the same envelope to the same bytes whatever was encoded before (no learned state)', () => {
    const used = new EnvelopeCodec();
    fc.assert(
      fc.property(fc.array(envelope, { minLength: 1, maxLength: 20 }), envelope, (before, env) => {
        for (const e of before) used.encode(e);
        expect(used.encodeDetached(env)).toEqual(new EnvelopeCodec().encodeDetached(env));
      }),
      { numRuns: 200 },
    );
  });
});
