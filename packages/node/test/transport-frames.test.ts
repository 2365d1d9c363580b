import { DecodeError } from '@lucent/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFrames,
  encodeFrames,
  type Frame,
  FrameKind,
  FrameWriter,
  MAX_FRAME_ID,
  MESSAGE_HEADER_BYTES,
  readFrames,
  validateMessage,
} from '../src/transport/frames.js';

const frameArb: fc.Arbitrary<Frame> = fc.record({
  kind: fc.constantFrom(FrameKind.Send, FrameKind.Request, FrameKind.Reply),
  id: fc.integer({ min: 0, max: MAX_FRAME_ID }),
  payload: fc.uint8Array({ maxLength: 300 }),
});
const framesArb = fc.array(frameArb, { minLength: 1, maxLength: 40 });

function plain(frames: readonly Frame[]): { kind: number; id: number; payload: number[] }[] {
  return frames.map((f) => ({ kind: f.kind, id: f.id, payload: [...f.payload] }));
}

function decodeErrorCode(bytes: Uint8Array): string | undefined {
  try {
    decodeFrames(bytes);
    return undefined;
  } catch (error) {
    return DecodeError.is(error) ? error.code : 'not a DecodeError';
  }
}

describe('transport frames', () => {
  it('round-trips any list of frames', () => {
    fc.assert(
      fc.property(framesArb, (frames) => {
        expect(plain(decodeFrames(encodeFrames(frames)))).toEqual(plain(frames));
      }),
    );
  });

  it('round-trips through one reused writer, message after message', () => {
    fc.assert(
      fc.property(fc.array(framesArb, { minLength: 1, maxLength: 5 }), (batches) => {
        const writer = new FrameWriter(16);
        const messages = batches.map((frames) => {
          for (const f of frames) writer.add(f.kind, f.id, f.payload);
          return writer.finish();
        });
        // Earlier messages are untouched by later ones (each finish() hands over its own buffer).
        messages.forEach((m, i) => {
          expect(plain(decodeFrames(m))).toEqual(plain(batches[i]!));
        });
      }),
    );
  });

  it('carves consecutive messages from one slab, and moves a message that outgrows it with its frames', () => {
    const writer = new FrameWriter(64);
    const small = (n: number) => {
      writer.add(FrameKind.Send, n, new Uint8Array([n]));
      return writer.finish();
    };
    const first = small(1);
    const second = small(2);
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset + first.byteLength);
    // A message larger than what the slab has left starts a new slab; its first frame comes along.
    writer.add(FrameKind.Request, 3, new Uint8Array([3]));
    writer.add(FrameKind.Request, 4, new Uint8Array(5000).fill(4));
    const big = writer.finish();
    expect(big.buffer).not.toBe(first.buffer);
    expect(decodeFrames(big).map((f) => [f.id, f.payload.byteLength])).toEqual([
      [3, 1],
      [4, 5000],
    ]);
    expect(plain(decodeFrames(first))).toEqual([{ kind: FrameKind.Send, id: 1, payload: [1] }]);
    expect(plain(decodeFrames(second))).toEqual([{ kind: FrameKind.Send, id: 2, payload: [2] }]);
  });

  it('copies payloads on add, so the caller may reuse its buffer', () => {
    const writer = new FrameWriter();
    const buffer = new Uint8Array([1, 2, 3]);
    writer.add(FrameKind.Send, 0, buffer);
    buffer.fill(9);
    expect([...decodeFrames(writer.finish())[0]!.payload]).toEqual([1, 2, 3]);
  });

  it('rejects every truncation of a valid message with DecodeError', () => {
    fc.assert(
      fc.property(framesArb, fc.nat(), (frames, cut) => {
        const bytes = encodeFrames(frames);
        const length = cut % bytes.byteLength;
        expect(decodeErrorCode(bytes.subarray(0, length))).toBe(DecodeError.code);
      }),
    );
  });

  it('rejects trailing bytes after the last frame', () => {
    const bytes = encodeFrames([{ kind: FrameKind.Send, id: 0, payload: new Uint8Array([7]) }]);
    const longer = new Uint8Array(bytes.byteLength + 1);
    longer.set(bytes);
    expect(decodeErrorCode(longer)).toBe(DecodeError.code);
  });

  it('never throws anything but DecodeError on arbitrary bytes, and never reads out of bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const code = decodeErrorCode(bytes);
        // Random bytes almost never form a message; when they do, decoding must have succeeded cleanly.
        if (code !== undefined) expect(code).toBe(DecodeError.code);
      }),
    );
  });

  it('survives garbage with a valid header: huge lengths and counts are DecodeError, not a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), fc.nat(), (tail, count) => {
        const bytes = new Uint8Array(MESSAGE_HEADER_BYTES + tail.byteLength);
        bytes.set([0x4c, 1, count & 0xff, (count >>> 8) & 0xff, 0xff, 0xff]);
        bytes.set(tail, MESSAGE_HEADER_BYTES);
        const code = decodeErrorCode(bytes);
        if (code !== undefined) expect(code).toBe(DecodeError.code);
      }),
    );
  });

  it('flags a corrupted kind byte', () => {
    const bytes = encodeFrames([{ kind: FrameKind.Request, id: 5, payload: new Uint8Array(4) }]);
    bytes[MESSAGE_HEADER_BYTES] = 99;
    expect(validateMessage(bytes)).toBeInstanceOf(DecodeError);
  });

  it('delivers nothing from a message that is malformed further on', () => {
    const good = encodeFrames([
      { kind: FrameKind.Send, id: 0, payload: new Uint8Array([1]) },
      { kind: FrameKind.Send, id: 0, payload: new Uint8Array([2]) },
    ]);
    const seen: number[] = [];
    const broken = good.subarray(0, good.byteLength - 1);
    expect(() => readFrames(broken, { onFrame: (_kind, _id, payload) => seen.push(payload[0]!) })).toThrow(DecodeError);
    expect(seen).toEqual([]);
  });

  it('refuses to finish an empty writer', () => {
    expect(() => new FrameWriter().finish()).toThrow(RangeError);
  });
});
