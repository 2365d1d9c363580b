import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { BATCH_HEADER_BYTES, BATCH_MARKER, FRAME_PREFIX_BYTES, frameBatch, isBatch } from '../src/batch-frame.js';
import { EnvelopeCodec } from '../src/codec.js';
import { callEnvelope, type Envelope, tellEnvelope } from '../src/envelope.js';
import { DecodeError, EncodeError } from '../src/errors.js';
import { codeOf } from './error-code.js';

const codec = new EnvelopeCodec();
const envs: Envelope[] = [0, 1, 2, 3].map((i) => callEnvelope('fn', { i, s: `v${i}` }, { id: `b.${i}` }));

/** Byte offset of frame `index`'s length prefix in a batch made of `frames`. */
function prefixOffset(frames: Uint8Array[], index: number): number {
  let offset = BATCH_HEADER_BYTES;
  for (let i = 0; i < index; i++) offset += FRAME_PREFIX_BYTES + (frames[i] as Uint8Array).length;
  return offset;
}

describe('batches', () => {
  it('round-trip in order, and are recognisable by their first byte', () => {
    const bytes = codec.encodeBatch(envs);
    expect(isBatch(bytes)).toBe(true);
    expect(isBatch(codec.encode(envs[0] as Envelope))).toBe(false);
    expect(isBatch(new Uint8Array(0))).toBe(false);
    expect(bytes[0]).toBe(BATCH_MARKER);
    expect(new EnvelopeCodec().decodeBatch(bytes)).toEqual({ envelopes: envs, failures: [] });
  });

  it('an empty batch decodes to nothing', () => {
    expect(codec.decodeBatch(codec.encodeBatch([]))).toEqual({ envelopes: [], failures: [] });
  });

  it('frameBatch over encode() output is what encodeBatch writes, in an owned exact-size buffer', () => {
    const framed = frameBatch(
      envs.map((e) => codec.encode(e)),
      codec.maxMessageBytes,
    );
    expect(framed).toEqual(codec.encodeBatch(envs));
    expect(framed.buffer.byteLength).toBe(framed.length);
  });

  it('a corrupt frame costs only itself', () => {
    const frames = envs.map((e) => codec.encodeDetached(e));
    const bytes = frameBatch(frames, codec.maxMessageBytes);
    bytes[prefixOffset(frames, 1) + FRAME_PREFIX_BYTES + 1] = 0xc1; // frame 1: invalid msgpack after its record id
    const { envelopes, failures } = codec.decodeBatch(bytes);
    expect(envelopes).toEqual([envs[0], envs[2], envs[3]]);
    expect(failures.map((f) => [f.index, f.error.code])).toEqual([[1, DecodeError.code]]);
  });

  it('a frame that is valid msgpack but not an envelope costs only itself', () => {
    const foreign = new Packr().pack({ hello: 'world' });
    const frames = [codec.encodeDetached(envs[0] as Envelope), foreign, codec.encodeDetached(envs[1] as Envelope)];
    const { envelopes, failures } = codec.decodeBatch(frameBatch(frames, 1 << 20));
    expect(envelopes).toEqual([envs[0], envs[1]]);
    expect(failures.map((f) => f.index)).toEqual([1]);
  });

  it('a broken length prefix keeps the frames before it and reports the break', () => {
    const frames = envs.map((e) => codec.encodeDetached(e));
    const bytes = frameBatch(frames, codec.maxMessageBytes);
    new DataView(bytes.buffer).setUint32(prefixOffset(frames, 2), 0xffff);
    const { envelopes, failures } = codec.decodeBatch(bytes);
    expect(envelopes).toEqual([envs[0], envs[1]]);
    expect(failures.map((f) => [f.index, DecodeError.is(f.error)])).toEqual([[2, true]]);
  });

  it('a truncated batch keeps its complete frames', () => {
    const bytes = codec.encodeBatch(envs);
    const { envelopes, failures } = codec.decodeBatch(bytes.subarray(0, bytes.length - 5));
    expect(envelopes).toEqual(envs.slice(0, 3));
    expect(failures.map((f) => f.index)).toEqual([3]);
  });

  it('bytes after the last frame are reported at index count', () => {
    const bytes = Buffer.concat([codec.encodeBatch(envs.slice(0, 2)), Buffer.from([1, 2, 3])]);
    const { envelopes, failures } = codec.decodeBatch(bytes);
    expect(envelopes).toEqual(envs.slice(0, 2));
    expect(failures.map((f) => f.index)).toEqual([2]);
  });

  it.each([
    ['a truncated header', Uint8Array.from([BATCH_MARKER, 1, 0])],
    ['a single envelope', codec.encodeDetached(callEnvelope('fn', 1))],
    ['an unknown version', Uint8Array.from([BATCH_MARKER, 2, 0, 0, 0, 0])],
    ['a count the bytes cannot hold', Uint8Array.from([BATCH_MARKER, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0x40])],
    ['not a Uint8Array', [BATCH_MARKER, 1, 0, 0, 0, 0] as unknown as Uint8Array],
  ])('throws DecodeError for %s', (_name, bytes) => {
    expect(codeOf(() => codec.decodeBatch(bytes))).toBe(DecodeError.code);
  });

  it('the size limit applies to the whole batch on both sides', () => {
    const small = new EnvelopeCodec({ maxMessageBytes: 200 });
    const many = Array.from({ length: 10 }, (_, i) => tellEnvelope('a/1', i));
    expect(codeOf(() => small.encodeBatch(many))).toBe(EncodeError.code);
    expect(codeOf(() => small.decodeBatch(codec.encodeBatch(many)))).toBe(DecodeError.code);
    expect(small.decodeBatch(small.encodeBatch(many.slice(0, 2))).envelopes).toHaveLength(2);
  });

  it('encodeBatch is all or nothing when one envelope cannot be encoded', () => {
    const bad = callEnvelope('fn', Symbol('x'));
    expect(codeOf(() => codec.encodeBatch([envs[0] as Envelope, bad]))).toBe(EncodeError.code);
  });
});
