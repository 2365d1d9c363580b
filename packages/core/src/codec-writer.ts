/**
 * The codec's fast path for encoding: writes an envelope whose payload is plain data straight into a slab, in
 * the wire format msgpackr reads (`codec.ts`), without going through msgpackr's `pack`. msgpackr's setup per
 * call, its record transitions and its `useRecords` test per object cost ~3× the whole write for the small
 * envelopes of remote calls (a call with `{ x }`: ~450 ns through msgpackr, ~130 ns here); every call and reply
 * pays it on both sides.
 *
 * ```
 *  0x40 | 0x41 (record id) · kind · id · target · correlationId · deadline · hops · traceparent · origin ·
 *  causationId · metadata · payload [· attempt]          (ENVELOPE_FIELDS / ENVELOPE_RETRY_FIELDS order)
 * ```
 * Plain data is what JSON has, plus `undefined`, NaN and ±Infinity: strings, numbers, booleans, `null`,
 * `undefined`, arrays, and objects whose constructor is `Object`. Anything else (a `Date`, a typed array, a
 * `Map`, a bigint, a class instance, a function, nesting deeper than {@link MAX_DEPTH}) makes {@link
 * EnvelopeWriter.write} return `undefined` having handed out nothing, and the codec encodes that envelope with
 * msgpackr as before; so does an envelope whose keys are not the factories' (msgpackr then refuses it).
 * Values are written as msgpackr writes them: an integer in 32 bits as an integer, any other number as float64,
 * `undefined` as msgpackr's fixext 0, an object as a map 16; a non-ASCII string's header may be a size larger
 * than msgpackr's. A decoder cannot tell the two writers apart (`codec-writer.test.ts` compares decodings).
 *
 * Bytes handed out are never written again (the codec's contract): envelopes are carved from a slab one after
 * another, and one that outgrows what is left moves to a new slab.
 */
import { ENVELOPE_FIELDS, ENVELOPE_RETRY_FIELDS, type Envelope } from './envelope.js';

/** Record id of an envelope (shared structure 0), and of a retried request (structure 1, with `attempt`). */
export const ENVELOPE_RECORD_ID = 0x40;
export const RETRY_RECORD_ID = 0x41;

/** Nesting past this depth is left to msgpackr (and a cycle, which it refuses). */
const MAX_DEPTH = 32;
/** Size of a new slab; an envelope larger than that gets a slab of its own size. */
const SLAB_BYTES = 64 * 1024;

/** Thrown inside the writer when a value is not plain data; caught by `write`, which then returns `undefined`. */
const NOT_PLAIN: unique symbol = Symbol('not plain data');

const utf8 = new TextEncoder();

/** See the module doc. One per codec; not re-entrant (nothing it calls runs user code). */
export class EnvelopeWriter {
  #slab = new Uint8Array(0);
  #view = new DataView(this.#slab.buffer);
  /** Where the envelope being written starts, and the next byte to write. */
  #start = 0;
  #at = 0;

  /**
   * The envelope's bytes (a view into the slab), or `undefined` when a value is not plain data or the keys are
   * not {@link ENVELOPE_FIELDS} in order (optionally followed by `attempt`). Fields are not type-checked here:
   * the codec checks them first.
   */
  write(envelope: Envelope): Uint8Array | undefined {
    const retry = hasWireKeys(envelope);
    if (retry === undefined) return undefined;
    this.#begin();
    try {
      this.#byte(retry ? RETRY_RECORD_ID : ENVELOPE_RECORD_ID);
      this.#number(envelope.kind);
      this.#string(envelope.id);
      this.#string(envelope.target);
      this.#string(envelope.correlationId);
      this.#number(envelope.deadline);
      this.#number(envelope.hops);
      this.#string(envelope.traceparent);
      this.#string(envelope.origin);
      this.#string(envelope.causationId);
      this.#value(envelope.metadata, 0);
      this.#value(envelope.payload, 0);
      if (retry) this.#number(envelope.attempt as number);
    } catch (error) {
      if (error !== NOT_PLAIN) throw error;
      this.#at = this.#start;
      return undefined;
    }
    const bytes = this.#slab.subarray(this.#start, this.#at);
    this.#start = this.#at;
    return bytes;
  }

  /** Starts an envelope; a nearly full slab is left for a new one (an envelope's first bytes never straddle). */
  #begin(): void {
    this.#at = this.#start;
    if (this.#slab.length - this.#start < 1024) this.#newSlab(1024);
  }

  /** Makes room for `bytes` more bytes, moving the envelope written so far to a new slab if needed. */
  #room(bytes: number): void {
    if (this.#at + bytes > this.#slab.length) this.#newSlab(bytes);
  }

  #newSlab(bytes: number): void {
    const written = this.#at - this.#start;
    const slab = new Uint8Array(Math.max(SLAB_BYTES, 2 * (written + bytes)));
    slab.set(this.#slab.subarray(this.#start, this.#at));
    this.#slab = slab;
    this.#view = new DataView(slab.buffer);
    this.#start = 0;
    this.#at = written;
  }

  #byte(value: number): void {
    this.#room(1);
    this.#slab[this.#at++] = value;
  }

  #value(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        this.#string(value);
        return;
      case 'number':
        this.#number(value);
        return;
      case 'boolean':
        this.#byte(value ? 0xc3 : 0xc2);
        return;
      case 'undefined':
        // msgpackr's undefined: fixext 1 of type 0, so it stays distinct from null.
        this.#room(3);
        this.#slab[this.#at] = 0xd4;
        this.#slab[this.#at + 1] = 0;
        this.#slab[this.#at + 2] = 0;
        this.#at += 3;
        return;
      case 'object':
        if (value === null) this.#byte(0xc0);
        else if (depth >= MAX_DEPTH) throw NOT_PLAIN;
        else if (value.constructor === Array) this.#array(value as unknown[], depth + 1);
        else if (value.constructor === Object) this.#object(value as Record<string, unknown>, depth + 1);
        else throw NOT_PLAIN;
        return;
      default:
        throw NOT_PLAIN;
    }
  }

  #array(array: readonly unknown[], depth: number): void {
    const length = array.length;
    this.#arrayHeader(length);
    for (let i = 0; i < length; i++) this.#value(array[i], depth);
  }

  #object(object: Record<string, unknown>, depth: number): void {
    // As msgpackr: always map 16, its size written once the own enumerable keys (for-in order) are counted.
    this.#room(3);
    const sizeAt = this.#at - this.#start;
    this.#slab[this.#at] = 0xde;
    this.#at += 3;
    let size = 0;
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      this.#string(key);
      this.#value(object[key], depth);
      size++;
    }
    // msgpackr refuses more keys than map 16 holds (as configured): leave that to it.
    if (size > 0xffff) throw NOT_PLAIN;
    this.#view.setUint16(this.#start + sizeAt + 1, size);
  }

  /** The size header of an array: fixarray, array 16 or array 32. */
  #arrayHeader(size: number): void {
    this.#room(5);
    if (size < 16) {
      this.#slab[this.#at++] = 0x90 | size;
    } else if (size < 0x10000) {
      this.#slab[this.#at] = 0xdc;
      this.#view.setUint16(this.#at + 1, size);
      this.#at += 3;
    } else {
      this.#slab[this.#at] = 0xdd;
      this.#view.setUint32(this.#at + 1, size);
      this.#at += 5;
    }
  }

  #number(value: number): void {
    this.#room(9);
    const slab = this.#slab;
    const at = this.#at;
    if (value >>> 0 === value) {
      // 0x40-0x7f are record ids to a reader with structures (0x40 is the envelope): 64-127 take two bytes.
      if (value < 0x40) {
        slab[at] = value;
        this.#at = at + 1;
      } else if (value < 0x100) {
        slab[at] = 0xcc;
        slab[at + 1] = value;
        this.#at = at + 2;
      } else if (value < 0x10000) {
        slab[at] = 0xcd;
        this.#view.setUint16(at + 1, value);
        this.#at = at + 3;
      } else {
        slab[at] = 0xce;
        this.#view.setUint32(at + 1, value);
        this.#at = at + 5;
      }
    } else if (value >> 0 === value) {
      if (value >= -0x20) {
        slab[at] = value & 0xff;
        this.#at = at + 1;
      } else {
        slab[at] = 0xd2;
        this.#view.setInt32(at + 1, value);
        this.#at = at + 5;
      }
    } else {
      // Integers past 32 bits too, as msgpackr does (exact up to 2^53; never read back as a bigint).
      slab[at] = 0xcb;
      this.#view.setFloat64(at + 1, value);
      this.#at = at + 9;
    }
  }

  #string(value: string): void {
    const length = value.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
    const most = length * 3;
    this.#room(5 + most);
    if (length < 32 && this.#ascii(value)) return;
    const slab = this.#slab;
    const header = most < 0x100 ? 2 : most < 0x10000 ? 3 : 5;
    const at = this.#at;
    const written = utf8.encodeInto(value, slab.subarray(at + header)).written;
    if (header === 2) {
      slab[at] = 0xd9;
      slab[at + 1] = written;
    } else if (header === 3) {
      slab[at] = 0xda;
      this.#view.setUint16(at + 1, written);
    } else {
      slab[at] = 0xdb;
      this.#view.setUint32(at + 1, written);
    }
    this.#at = at + header + written;
  }

  /** Writes a short string as a fixstr if it is ASCII (ids, names, keys: nearly every string); else false. */
  #ascii(value: string): boolean {
    const slab = this.#slab;
    const at = this.#at;
    const length = value.length;
    for (let i = 0; i < length; i++) {
      const unit = value.charCodeAt(i);
      if (unit >= 0x80) return false;
      slab[at + 1 + i] = unit;
    }
    slab[at] = 0xa0 | length;
    this.#at = at + 1 + length;
    return true;
  }
}

/**
 * `false` when `envelope`'s own keys are {@link ENVELOPE_FIELDS} in order, `true` when `attempt` follows them,
 * `undefined` otherwise (msgpackr then writes a record of its own, which the codec refuses).
 */
function hasWireKeys(envelope: Envelope): boolean | undefined {
  let i = 0;
  for (const key in envelope) {
    if (key !== ENVELOPE_RETRY_FIELDS[i]) return undefined;
    i++;
  }
  if (i === ENVELOPE_FIELDS.length) return false;
  return i === ENVELOPE_RETRY_FIELDS.length ? true : undefined;
}
