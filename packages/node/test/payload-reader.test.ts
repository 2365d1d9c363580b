import { callEnvelope, controlEnvelope, DecodeError, EnvelopeCodec } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { PayloadReader } from '../src/transport/payload-reader.js';

const codec = new EnvelopeCodec();
const control = (target: string, payload: unknown) => new Uint8Array(codec.encode(controlEnvelope(target, payload)));

/** The DecodeError `read` throws, or a failed expectation when it returns. */
function failure(read: () => unknown): DecodeError {
  try {
    read();
  } catch (error) {
    expect(DecodeError.is(error)).toBe(true);
    return error as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('PayloadReader', () => {
  const bytes = control('metrics', { n: 1 });
  const read = new PayloadReader('load report', bytes);

  it('returns each field that has its kind, and copies (frozen) an array of strings', () => {
    expect(read.controlPayload(codec, 'metrics')).toEqual({ n: 1 });
    expect(read.string('', 'from')).toBe('');
    expect(read.nonEmptyString('n1', 'node')).toBe('n1');
    expect(read.nonNegative(0, 'cpu')).toBe(0);
    expect(read.positive(0.5, 'weight')).toBe(0.5);
    const tags = ['a', 'b'];
    const copy = read.strings(tags, 'tags');
    expect(copy).toEqual(tags);
    expect(copy).not.toBe(tags);
    expect(Object.isFrozen(copy)).toBe(true);
  });

  it('throws DecodeError naming the message and the field, with the byte length, for any other value', () => {
    const cases: [() => unknown, string][] = [
      [() => read.nonNegative(-1, 'cpu'), 'load report: cpu is not a finite number >= 0'],
      [() => read.nonNegative(Number.NaN, 'cpu'), 'load report: cpu is not a finite number >= 0'],
      [() => read.nonNegative('1', 'cpu'), 'load report: cpu is not a finite number >= 0'],
      [() => read.positive(0, 'weight'), 'load report: weight is not a positive finite number'],
      [() => read.positive(Number.POSITIVE_INFINITY, 'weight'), 'load report: weight is not a positive finite number'],
      [() => read.nonEmptyString('', 'node'), 'load report: node is not a non-empty string'],
      [() => read.string(3, 'from'), 'load report: from is not a string'],
      [() => read.object(null, 'load'), 'load report: load is not an object'],
      [() => read.strings('gpu', 'tags'), 'load report: tags is not an array'],
      [() => read.strings(['a', 1], 'tags'), 'load report: an entry of tags is not a string'],
    ];
    for (const [call, reason] of cases) {
      const error = failure(call);
      expect(error.details).toEqual({ reason, byteLength: bytes.byteLength });
    }
  });

  it('takes only a control envelope (of the target, when named) whose payload is an object', () => {
    const other = new Uint8Array(codec.encode(callEnvelope('fn', { n: 1 })));
    expect(failure(() => new PayloadReader('m', other).controlPayload(codec)).details.reason).toBe(
      'm: not a control envelope',
    );
    expect(failure(() => new PayloadReader('m', bytes).controlPayload(codec, 'membership')).details.reason).toBe(
      'm: not a membership envelope',
    );
    const nullPayload = control('membership', null);
    expect(failure(() => new PayloadReader('m', nullPayload).controlPayload(codec)).details.reason).toBe(
      'm: payload is not an object',
    );
    // The codec's own refusal is a DecodeError too.
    failure(() => new PayloadReader('m', new Uint8Array([1, 2, 3])).controlPayload(codec));
  });
});
