/**
 * Framing of many transport frames in one wire message. Pure: bytes in, bytes out, no I/O.
 *
 * ```
 * message := magic(u8 0x4C) version(u8 1) count(u32 LE) frame{count}
 * frame   := kind(u8) id(u32 LE) length(u32 LE) payload(length bytes)
 * ```
 * A message must be consumed exactly: trailing bytes, a short frame, an unknown kind or a count that does not
 * match are all a {@link DecodeError}. The decoder validates the whole message before it delivers any frame,
 * so a malformed message delivers nothing (never half a batch), and it never reads out of bounds.
 */
import { DecodeError } from '@lucent/core/internal';

/** Kinds of frame, as integer constants (the wire byte). */
export const FrameKind = {
  /** One-way; `id` is 0. */
  Send: 1,
  /** Expects one `Reply` with the same `id` on the message's reply subject. */
  Request: 2,
  /** Answers the `Request` with this `id`. */
  Reply: 3,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Bytes before the first frame: magic, version, frame count. */
export const MESSAGE_HEADER_BYTES = 6;
/** Bytes before each frame's payload: kind, id, length. */
export const FRAME_HEADER_BYTES = 9;
/** Largest request id; ids stay small integers (V8 Smis) so Map lookups by id stay fast. */
export const MAX_FRAME_ID = 0x3fffffff;

const MAGIC = 0x4c;
const VERSION = 1;

/** Receives the frames of a valid message in order. An object, not a closure, so no per-message allocation. */
export interface FrameVisitor {
  onFrame(kind: FrameKind, id: number, payload: Uint8Array): void;
}

/** One decoded frame (the allocation-heavy form, for tests and tools; the hot path uses {@link readFrames}). */
export interface Frame {
  readonly kind: FrameKind;
  readonly id: number;
  readonly payload: Uint8Array;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) + bytes[at + 3]! * 0x1000000;
}

function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}

function fail(bytes: Uint8Array, reason: string): DecodeError {
  return new DecodeError({ reason: `transport message: ${reason}`, byteLength: bytes.byteLength });
}

/**
 * Checks that `bytes` is one well-formed message and returns its frame count, or the {@link DecodeError}
 * describing the first problem (returned, not thrown, so callers on the hot path choose how to report it).
 */
export function validateMessage(bytes: Uint8Array): number | DecodeError {
  const end = bytes.byteLength;
  if (end < MESSAGE_HEADER_BYTES) return fail(bytes, 'shorter than its header');
  if (bytes[0] !== MAGIC) return fail(bytes, 'bad magic byte');
  if (bytes[1] !== VERSION) return fail(bytes, `unsupported version ${bytes[1]}`);
  const count = readU32(bytes, 2);
  let at = MESSAGE_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (end - at < FRAME_HEADER_BYTES) return fail(bytes, `frame ${i} header truncated`);
    const kind = bytes[at]!;
    if (kind < FrameKind.Send || kind > FrameKind.Reply) return fail(bytes, `frame ${i} has unknown kind ${kind}`);
    const length = readU32(bytes, at + 5);
    at += FRAME_HEADER_BYTES;
    if (end - at < length) return fail(bytes, `frame ${i} payload truncated`);
    at += length;
  }
  if (at !== end) return fail(bytes, `${end - at} bytes after the last frame`);
  return count;
}

/**
 * Validates `bytes`, then hands each frame to `visitor` in order. Payloads are views into `bytes` (no copy):
 * a receiver that keeps one beyond the call must copy it. Throws {@link DecodeError} (before visiting
 * anything) when the message is malformed; exceptions thrown by the visitor propagate.
 * @returns the number of frames visited.
 */
export function readFrames(bytes: Uint8Array, visitor: FrameVisitor): number {
  const count = validateMessage(bytes);
  if (typeof count !== 'number') throw count;
  let at = MESSAGE_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const kind = bytes[at] as FrameKind;
    const id = readU32(bytes, at + 1);
    const length = readU32(bytes, at + 5);
    at += FRAME_HEADER_BYTES;
    visitor.onFrame(kind, id, bytes.subarray(at, at + length));
    at += length;
  }
  return count;
}

/** Decodes every frame of a message into an array. Throws {@link DecodeError} like {@link readFrames}. */
export function decodeFrames(bytes: Uint8Array): Frame[] {
  const out: Frame[] = [];
  readFrames(bytes, { onFrame: (kind, id, payload) => out.push({ kind, id, payload }) });
  return out;
}

/**
 * Accumulates frames into a message and cuts it off. Messages are carved one after another from a slab (one
 * `Uint8Array` holding about {@link SLAB_MESSAGES} messages of recent size), so a message costs a `subarray`, not
 * a buffer of its own: a new typed array's backing store was the largest allocation of a small request (the
 * client's and the node's profiles in node/peers). Payloads are copied on `add`, so the caller may reuse its buffer
 * at once. Bytes handed out by {@link FrameWriter.finish} are never written again (the connection's write queue
 * may still hold them): the next message starts after them, and a message that outgrows what is left of the slab
 * moves to a new one.
 */
export class FrameWriter {
  #slab: Uint8Array | undefined = undefined;
  /** Where the message being built starts in the slab. */
  #start = 0;
  #length = 0;
  #count = 0;
  /** Recent message size: follows steady traffic, forgets one burst soon. Sizes the next slab. */
  #typicalBytes: number;

  constructor(initialCapacity = 256) {
    this.#typicalBytes = Math.max(MESSAGE_HEADER_BYTES + FRAME_HEADER_BYTES, initialCapacity);
  }

  /** Frames added since the last `finish`. */
  get frameCount(): number {
    return this.#count;
  }

  /** Size in bytes of the message `finish` would return now (0 when empty). */
  get byteLength(): number {
    return this.#length;
  }

  /** Appends one frame. `id` must be in 0..{@link MAX_FRAME_ID}. */
  add(kind: FrameKind, id: number, payload: Uint8Array): void {
    const needed = (this.#count === 0 ? MESSAGE_HEADER_BYTES : this.#length) + FRAME_HEADER_BYTES + payload.byteLength;
    let slab = this.#slab;
    if (slab === undefined || this.#start + needed > slab.byteLength) slab = this.#moveToNewSlab(needed);
    const start = this.#start;
    if (this.#count === 0) {
      slab[start] = MAGIC;
      slab[start + 1] = VERSION;
      this.#length = MESSAGE_HEADER_BYTES;
    }
    const at = start + this.#length;
    slab[at] = kind;
    writeU32(slab, at + 1, id);
    writeU32(slab, at + 5, payload.byteLength);
    slab.set(payload, at + FRAME_HEADER_BYTES);
    this.#length = needed;
    this.#count++;
  }

  /** Returns the message holding every frame added since the last call and starts an empty one. */
  finish(): Uint8Array {
    const slab = this.#slab;
    if (slab === undefined || this.#count === 0) throw new RangeError('FrameWriter.finish() with no frames');
    const start = this.#start;
    writeU32(slab, start + 2, this.#count);
    const message = slab.subarray(start, start + this.#length);
    this.#typicalBytes = Math.max(MESSAGE_HEADER_BYTES + FRAME_HEADER_BYTES, (this.#typicalBytes + this.#length) >>> 1);
    this.#start = start + this.#length;
    this.#length = 0;
    this.#count = 0;
    return message;
  }

  /** A new slab with room for `needed` bytes, the message built so far copied to its start. */
  #moveToNewSlab(needed: number): Uint8Array {
    const size = Math.max(needed, Math.min(MAX_SLAB_BYTES, this.#typicalBytes * SLAB_MESSAGES));
    const slab = new Uint8Array(size);
    const old = this.#slab;
    if (old !== undefined && this.#count > 0) slab.set(old.subarray(this.#start, this.#start + this.#length));
    this.#slab = slab;
    this.#start = 0;
    return slab;
  }
}

/** Messages of recent size one slab holds (see {@link FrameWriter}). */
const SLAB_MESSAGES = 16;
/** A slab grows no larger than this unless one message needs more (a destination's writer keeps one slab). */
const MAX_SLAB_BYTES = 64 * 1024;

/** Encodes `frames` as one message (convenience over {@link FrameWriter}; at least one frame). */
export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  const writer = new FrameWriter();
  for (const f of frames) writer.add(f.kind, f.id, f.payload);
  return writer.finish();
}
