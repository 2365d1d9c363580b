/**
 * Envelope ⇄ bytes, with msgpackr.
 *
 * Wire format of one envelope: a msgpack *record* whose keys are a fixed structure known to every build
 * (`ENVELOPE_FIELDS`, record id 0x40), so the header costs one byte instead of nine key strings, followed by the
 * values in field order. A client's retry of a call uses the second fixed structure, the same fields and then
 * `attempt` (`ENVELOPE_RETRY_FIELDS`, record id 0x41). The structure list is never extended:
 * `maxSharedStructures: 2` leaves no free shared id, and `useRecords` is true only for the envelope itself, so user payload objects are written as plain
 * msgpack maps. No state is learned from traffic, and two processes that never talked decode each other's bytes.
 * (Payloads as per-message records were measured slower: the record definition is re-sent and re-compiled in
 * every message.)
 *
 * What survives a round trip (msgpackr 2.1.3, as configured here; asserted in `codec-safety.test.ts`):
 * - strings (any unicode; lone surrogates become U+FFFD), booleans, `null`, `undefined` (kept distinct from
 *   `null`, also as an object value or array element), numbers incl. NaN and ±Infinity (`-0` arrives as `0`;
 *   integers above 2^32 travel as float64, exact up to 2^53), bigints of any size, arrays, plain objects,
 *   `Date`, `Set`, `RegExp`, `Error` (name, message, cause; not the stack), every typed array with its type
 *   (`Buffer` stays `Buffer`, `Uint8Array` stays `Uint8Array`), `ArrayBuffer`. Decoded binary data is always a
 *   copy, never a view of the input bytes.
 * - `Map` becomes a plain object (keys turned into strings). Class instances lose their class. A key named
 *   `__proto__` arrives as `__proto_` (msgpackr's guard against prototype pollution). Functions become
 *   `undefined`; symbols fail to encode.
 * `moreTypes` is on because without it msgpackr writes a non-byte typed array as `byteLength` bytes but copies
 * only `length` elements, sending stale bytes of its output buffer (an information leak).
 */
import { Packr, Unpackr } from 'msgpackr';
import { ENVELOPE_RECORD_ID, EnvelopeWriter, RETRY_RECORD_ID } from './codec-writer.js';
import { ENVELOPE_FIELDS, ENVELOPE_RETRY_FIELDS, type Envelope } from './envelope.js';
import { envelopeProblem } from './envelope-check.js';
import { ConfigError, DecodeError, EncodeError } from './errors.js';

/** Where an over-size error points the user: the codec's option and the NATS server's matching limit. */
const OVER_SIZE_HINT = "the codec's maxMessageBytes and nats-server's max_payload";

/** Default {@link EnvelopeCodecOptions.maxMessageBytes}: 1 MiB, NATS's default `max_payload`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

export interface EnvelopeCodecOptions {
  /** Largest encoding that is written or read. Default 1 MiB. */
  readonly maxMessageBytes?: number;
}

/**
 * Encodes and decodes envelopes. Instances are independent and interchangeable: nothing is learned from
 * traffic, so any instance (in any process or worker) decodes what any other wrote. Methods are synchronous.
 * Every failure is an {@link EncodeError} or {@link DecodeError}, with msgpackr's error as `cause` when it came
 * from there; nothing else is thrown.
 */
export class EnvelopeCodec {
  /** Limit applied to every encoding, written or read. */
  readonly maxMessageBytes: number;
  readonly #packr: Packr;
  readonly #unpackr: Unpackr;
  /** Writes envelopes of plain data without msgpackr (`codec-writer.ts`); the rest go through `#packr`. */
  readonly #writer = new EnvelopeWriter();
  /** The envelope being packed: the only object msgpackr may write as a record. */
  #packing: Envelope | undefined = undefined;

  /** Throws {@link ConfigError} when `maxMessageBytes` is not a positive integer. */
  constructor(options: EnvelopeCodecOptions = {}) {
    const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < 1) {
      throw new ConfigError({
        subject: 'EnvelopeCodec',
        field: 'maxMessageBytes',
        reason: `${max} is not a positive integer`,
      });
    }
    this.maxMessageBytes = max;
    this.#packr = new Packr({
      structures: envelopeStructures(),
      maxSharedStructures: 2,
      useRecords: (value: unknown) => value === this.#packing,
      moreTypes: true,
      structuredClone: false,
    });
    this.#unpackr = new Unpackr({
      structures: envelopeStructures(),
      mapsAsObjects: true,
      copyBuffers: true,
      // Rejects the reference/pointer extensions, whose decoder assigns arbitrary properties onto objects.
      structuredClone: false,
    });
  }

  /**
   * Encodes one envelope. Throws {@link EncodeError} when a field has the wrong type, the payload cannot be
   * encoded (a symbol, a cycle) or the result is over `maxMessageBytes`.
   *
   * Returns a view into a shared output buffer (the codec's 64 KiB slab, or msgpackr's 8 KiB one): the bytes stay
   * valid (neither writes over bytes it handed out), but posting the view to a worker would clone the whole buffer. Use
   * {@link encodeDetached} for `postMessage`, or copy it.
   */
  encode(envelope: Envelope): Uint8Array {
    const problem = envelopeProblem(envelope);
    if (problem !== '') throw new EncodeError({ reason: `invalid envelope: ${problem}` });
    const bytes = this.#writer.write(envelope) ?? this.#pack(envelope);
    if (bytes.length > this.maxMessageBytes) {
      throw new EncodeError({
        reason: `the message is ${bytes.length} bytes, over the limit of ${this.maxMessageBytes} bytes`,
        byteLength: bytes.length,
        limitBytes: this.maxMessageBytes,
        raiseWith: OVER_SIZE_HINT,
      });
    }
    return bytes;
  }

  /** Encodes with msgpackr: envelopes whose payload is not plain data, or whose keys are not the factories'. */
  #pack(envelope: Envelope): Uint8Array {
    let bytes: Uint8Array;
    this.#packing = envelope;
    try {
      bytes = this.#packr.pack(envelope);
    } catch (cause) {
      throw new EncodeError({ reason: `msgpack: ${describe(cause)}` }, { cause });
    } finally {
      this.#packing = undefined;
    }
    if (bytes[0] !== ENVELOPE_RECORD_ID && bytes[0] !== RETRY_RECORD_ID) {
      // The object's keys differ from ENVELOPE_FIELDS (order or extra keys), so msgpackr wrote a one-off record.
      throw new EncodeError({ reason: 'envelope keys differ from ENVELOPE_FIELDS; build it with a factory' });
    }
    return bytes;
  }

  /** Like {@link encode}, but returns an exact-size copy that owns its `ArrayBuffer` (safe to transfer). */
  encodeDetached(envelope: Envelope): Uint8Array {
    return new Uint8Array(this.encode(envelope));
  }

  /**
   * Decodes one envelope. Throws {@link DecodeError} (and nothing else) for oversized input (checked before
   * parsing), bytes that do not start with the envelope record id, malformed or truncated msgpack, trailing bytes, valid msgpack that is not an envelope,
   * wrong field types or an unknown kind. The result never shares memory with `bytes`.
   */
  decode(bytes: Uint8Array): Envelope {
    if (!(bytes instanceof Uint8Array)) {
      throw new DecodeError({ reason: 'input is not a Uint8Array', byteLength: 0 });
    }
    const byteLength = bytes.length;
    if (byteLength > this.maxMessageBytes) {
      throw new DecodeError({
        reason: `over the limit of ${this.maxMessageBytes} bytes (raise the limit with ${OVER_SIZE_HINT})`,
        byteLength,
      });
    }
    if (bytes[0] !== ENVELOPE_RECORD_ID && bytes[0] !== RETRY_RECORD_ID) {
      throw new DecodeError({ reason: 'not an envelope (wrong first byte)', byteLength });
    }
    let value: unknown;
    try {
      value = this.#unpackr.unpack(bytes);
    } catch (cause) {
      throw new DecodeError({ reason: `msgpack: ${describe(cause)}`, byteLength }, { cause });
    }
    const problem = envelopeProblem(value);
    if (problem !== '') throw new DecodeError({ reason: `not an envelope: ${problem}`, byteLength });
    return value as Envelope;
  }
}

/** A fresh structures list holding the two envelope structures (0x40 plain, 0x41 retry), marked shared. */
function envelopeStructures(): string[][] {
  const keys: string[] & { isShared?: boolean } = [...ENVELOPE_FIELDS];
  const retryKeys: string[] & { isShared?: boolean } = [...ENVELOPE_RETRY_FIELDS];
  // msgpackr restores a structure after a message that redefines its record id only if it is flagged shared;
  // without the flag, one crafted message would replace the envelope structure for every later decode.
  keys.isShared = true;
  retryKeys.isShared = true;
  return [keys, retryKeys];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
