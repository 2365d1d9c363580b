import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { EnvelopeCodec } from '../src/codec.js';
import { EnvelopeWriter } from '../src/codec-writer.js';
import { callEnvelope, ENVELOPE_FIELDS, ENVELOPE_RETRY_FIELDS, type Envelope } from '../src/envelope.js';

/** msgpackr as the codec configures it: the reference the writer must be indistinguishable from. */
function referencePackr(): { pack(envelope: Envelope): Uint8Array } {
  const keys: string[] & { isShared?: boolean } = [...ENVELOPE_FIELDS];
  const retryKeys: string[] & { isShared?: boolean } = [...ENVELOPE_RETRY_FIELDS];
  keys.isShared = true;
  retryKeys.isShared = true;
  let packing: unknown;
  const packr = new Packr({
    structures: [keys, retryKeys],
    maxSharedStructures: 2,
    useRecords: (value: unknown) => value === packing,
    moreTypes: true,
    structuredClone: false,
  });
  return {
    pack(envelope) {
      packing = envelope;
      return packr.pack(envelope);
    },
  };
}

// Numbers at every boundary of the integer forms (fixint < 0x40 with records, uint8/16/32, negative fixint, int32).
const edgeNumber = fc.constantFrom(
  0,
  -0,
  1,
  0x3f,
  0x40,
  0x7f,
  0x80,
  0xff,
  0x100,
  0xffff,
  0x10000,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53,
  -1,
  -0x20,
  -0x21,
  -0x80,
  -(2 ** 31),
  -(2 ** 31) - 1,
  0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MAX_VALUE,
);

const plainLeaf = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }), // any unicode, lone surrogates included
  fc.string({ unit: 'grapheme-ascii', minLength: 25, maxLength: 300 }), // across the fixstr and str 8 sizes
  fc.string({ unit: 'grapheme', minLength: 80, maxLength: 120 }), // multi-byte past str 8's bound
  fc.integer(),
  fc.double(),
  edgeNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);

const { plainValue } = fc.letrec((tie) => ({
  plainValue: fc.oneof({ depthSize: 'small', maxDepth: 4 }, plainLeaf, tie('array'), tie('object')),
  array: fc.array(tie('plainValue'), { maxLength: 20 }),
  object: fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), tie('plainValue'), {
    maxKeys: 20,
    noNullPrototype: true,
  }),
}));

const envelopeOf = (payload: unknown, attempt?: number): Envelope =>
  callEnvelope('fn', payload, {
    deadline: 1_796_315_728_221,
    origin: 'node-ä',
    metadata: { tenant: 'acme' },
    ...(attempt === undefined ? {} : { attempt }),
  });

describe('EnvelopeWriter', () => {
  const codec = new EnvelopeCodec();

  it('writes plain data that decodes exactly as msgpackr’s own encoding of it', () => {
    const writer = new EnvelopeWriter();
    const reference = referencePackr();
    fc.assert(
      fc.property(plainValue, fc.option(fc.integer({ min: 2, max: 300 }), { nil: undefined }), (payload, attempt) => {
        const envelope = envelopeOf(payload, attempt);
        const written = writer.write(envelope);
        expect(written).toBeDefined();
        expect(codec.decode(written!)).toStrictEqual(codec.decode(reference.pack(envelope)));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes the same bytes as msgpackr for ASCII strings and the integers the envelopes carry', () => {
    const writer = new EnvelopeWriter();
    const envelope = callEnvelope(
      'quote',
      { x: 41, big: 70_000, negative: -5, name: 'quote', tags: ['a', 'b'], ok: true, none: null, gone: undefined },
      { deadline: 1_796_315_728_221, origin: 'node-1', metadata: { tenant: 'acme' } },
    );
    expect(Uint8Array.from(writer.write(envelope)!)).toEqual(Uint8Array.from(referencePackr().pack(envelope)));
  });

  it.each([
    ['a Date', new Date(0)],
    ['a typed array', new Uint8Array([1, 2])],
    ['a Map', new Map([['k', 1]])],
    ['a bigint', 10n],
    ['a class instance', new (class Point {})()],
    ['a function', () => 1],
    ['a null-prototype object', Object.create(null)],
    ['an Array subclass', new (class List extends Array {})()],
    ['nesting past 32 levels', Array.from({ length: 40 }).reduce((inner) => [inner], 1)],
  ])('leaves %s to msgpackr, handing out nothing', (_name, value) => {
    const writer = new EnvelopeWriter();
    const before = writer.write(envelopeOf(1))!;
    const snapshot = Uint8Array.from(before);
    expect(writer.write(envelopeOf({ deep: [value] }))).toBeUndefined();
    const after = writer.write(envelopeOf(2))!;
    expect(before).toEqual(snapshot);
    expect(after.byteOffset).toBe(before.byteOffset + before.length); // the failed write left no bytes behind
  });

  it('leaves envelopes with other keys, or keys in another order, to msgpackr', () => {
    const writer = new EnvelopeWriter();
    const { kind, id, ...rest } = envelopeOf(1);
    expect(writer.write({ id, kind, ...rest } as Envelope)).toBeUndefined();
    expect(writer.write({ ...envelopeOf(1), extra: 1 } as Envelope)).toBeUndefined();
  });

  it('never writes over bytes it handed out, across slabs and for envelopes larger than a slab', () => {
    const writer = new EnvelopeWriter();
    const kept: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 1000; i++) {
      const big = i % 300 === 0 ? 'y'.repeat(100_000) : '';
      const bytes = writer.write(envelopeOf({ i, filler: 'x'.repeat(i % 300), big }))!;
      kept.push([bytes, Uint8Array.from(bytes)]);
    }
    for (const [bytes, snapshot] of kept) expect(bytes).toEqual(snapshot);
    expect(codec.decode(kept[500]![0]).payload).toMatchObject({ i: 500 });
  });

  it('writes maps and arrays of more than 65,535 entries (map 16 refused: left to msgpackr)', () => {
    const writer = new EnvelopeWriter();
    const long = Array.from({ length: 70_000 }, (_, i) => i);
    expect(codec.decode(writer.write(envelopeOf(long))!).payload).toEqual(long);
    const wide = Object.fromEntries(long.map((i) => [`k${i}`, i]));
    expect(writer.write(envelopeOf(wide))).toBeUndefined();
  });
});
