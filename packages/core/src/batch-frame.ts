/**
 * The batch wire format: many encoded envelopes in one transport message (wire coalescing).
 *
 * ```
 *  0xc1 | 0x01    | count: u32 BE | len0: u32 BE | frame0 ... | lenN-1: u32 BE | frameN-1
 *  mark | version |               |<------------- count length-prefixed frames ------------->|
 * ```
 * `0xc1` is the one byte msgpack never uses, so a batch can never be mistaken for a single envelope and a
 * receiver tells them apart by the first byte ({@link isBatch}). Each frame is a complete single-envelope
 * encoding, decoded on its own: a frame that fails to decode costs only itself. Only a broken length prefix
 * loses the frames after it, since nothing marks where the next one starts.
 */
import { DecodeError, EncodeError } from './errors.js';

/** First byte of every batch (msgpack's "never used" byte). */
export const BATCH_MARKER = 0xc1;
/** Current batch format version (second byte). */
export const BATCH_VERSION = 1;
/** Bytes before the first frame: marker, version, u32 count. */
export const BATCH_HEADER_BYTES = 6;
/** Bytes of each frame's length prefix. */
export const FRAME_PREFIX_BYTES = 4;

/** True when `bytes` starts like a batch (it may still be malformed; decoding will tell). */
export function isBatch(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === BATCH_MARKER;
}

/**
 * Concatenates already encoded envelopes (from `EnvelopeCodec.encode`) into one batch. The result is an
 * exact-size `Uint8Array` that owns its `ArrayBuffer`, so it is safe to transfer to a worker.
 * Throws {@link EncodeError} when the batch would exceed `maxBytes`. Frames are kept in order.
 */
export function frameBatch(frames: readonly Uint8Array[], maxBytes: number): Uint8Array {
  let total = BATCH_HEADER_BYTES;
  for (let i = 0; i < frames.length; i++) total += FRAME_PREFIX_BYTES + (frames[i] as Uint8Array).length;
  if (total > maxBytes) {
    throw new EncodeError({ reason: `batch of ${frames.length} is ${total} bytes, over the limit of ${maxBytes}` });
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out[0] = BATCH_MARKER;
  out[1] = BATCH_VERSION;
  view.setUint32(2, frames.length);
  let offset = BATCH_HEADER_BYTES;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i] as Uint8Array;
    view.setUint32(offset, frame.length);
    out.set(frame, offset + FRAME_PREFIX_BYTES);
    offset += FRAME_PREFIX_BYTES + frame.length;
  }
  return out;
}

/**
 * Reads and checks a batch header; returns the frame count. Throws {@link DecodeError} when the bytes cannot
 * be a batch at all (wrong marker or version, truncated header, or a count that the bytes cannot hold), since
 * then no frame can be trusted.
 */
export function readBatchHeader(bytes: Uint8Array): number {
  const byteLength = bytes.length;
  if (byteLength < BATCH_HEADER_BYTES) throw new DecodeError({ reason: 'batch header is truncated', byteLength });
  if (bytes[0] !== BATCH_MARKER) throw new DecodeError({ reason: 'not a batch (wrong first byte)', byteLength });
  if (bytes[1] !== BATCH_VERSION) {
    throw new DecodeError({ reason: `unsupported batch version ${bytes[1]}`, byteLength });
  }
  const count = readUint32(bytes, 2);
  // Every frame needs its prefix plus at least one byte; a larger count is corruption, and trusting it would
  // let a 6-byte message make the reader allocate or loop billions of times.
  if (count * (FRAME_PREFIX_BYTES + 1) > byteLength - BATCH_HEADER_BYTES) {
    throw new DecodeError({ reason: `batch claims ${count} frames that its bytes cannot hold`, byteLength });
  }
  return count;
}

/** Big-endian u32 at `offset`; the caller has checked that 4 bytes are there. */
export function readUint32(bytes: Uint8Array, offset: number): number {
  // `* 0x1000000` instead of `<< 24` keeps the result unsigned.
  return (
    (bytes[offset] as number) * 0x1000000 +
    (((bytes[offset + 1] as number) << 16) | ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number))
  );
}
