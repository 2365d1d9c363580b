/**
 * Reads a control envelope's payload that came from another process (a heartbeat, a load report): nothing in it
 * is trusted, so every field is checked as it is read, and the first wrong one throws `DecodeError` naming the
 * message and the field (and nothing else is ever thrown). Decoders build fresh objects from what it returns.
 *
 * One reader per decoded message (two fields of state): membership and load messages come a few times a second
 * per node, far from the hot path.
 */
import { DecodeError, type EnvelopeCodec, EnvelopeKind } from '@lucent/core/internal';

/** See the module doc. */
export class PayloadReader {
  readonly #what: string;
  readonly #bytes: Uint8Array;

  /** `what` names the message in every error (`'load report'`); `bytes` is what is being decoded. */
  constructor(what: string, bytes: Uint8Array) {
    this.#what = what;
    this.#bytes = bytes;
  }

  /** Throws the `DecodeError` of this message for `reason`. */
  invalid(reason: string): never {
    throw new DecodeError({ reason: `${this.#what}: ${reason}`, byteLength: this.#bytes.byteLength });
  }

  /**
   * Decodes the bytes with `codec` and returns the payload of their control envelope, which must be an object;
   * with `target`, the envelope's target must be it. The codec's own failures are `DecodeError`s too.
   */
  controlPayload(codec: EnvelopeCodec, target?: string): Record<string, unknown> {
    const envelope = codec.decode(this.#bytes);
    if (envelope.kind !== EnvelopeKind.Control) return this.invalid('not a control envelope');
    if (target !== undefined && envelope.target !== target) return this.invalid(`not a ${target} envelope`);
    return this.object(envelope.payload, 'payload');
  }

  /** `value` as an object (not `null`). */
  object(value: unknown, field: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null) return this.invalid(`${field} is not an object`);
    return value as Record<string, unknown>;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') return this.invalid(`${field} is not a string`);
    return value;
  }

  nonEmptyString(value: unknown, field: string): string {
    if (typeof value !== 'string' || value === '') return this.invalid(`${field} is not a non-empty string`);
    return value;
  }

  /** A finite number >= 0 (a count, a fraction, a time stamp). */
  nonNegative(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return this.invalid(`${field} is not a finite number >= 0`);
    }
    return value;
  }

  /** A finite number > 0. */
  positive(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      return this.invalid(`${field} is not a positive finite number`);
    }
    return value;
  }

  /** A frozen copy of an array of strings. */
  strings(value: unknown, field: string): readonly string[] {
    if (!Array.isArray(value)) return this.invalid(`${field} is not an array`);
    for (const item of value) if (typeof item !== 'string') return this.invalid(`an entry of ${field} is not a string`);
    return Object.freeze([...(value as string[])]);
  }
}
