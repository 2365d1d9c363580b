import { describe, expect, it } from 'vitest';
import { EnvelopeCodec } from '../src/codec.js';
import { callEnvelope, errorEnvelope, eventEnvelope, replyEnvelope, tellEnvelope } from '../src/envelope.js';
import { DecodeError, TimeoutError } from '../src/errors.js';

/** mulberry32: a tiny seeded PRNG, so a failure reproduces from the printed seed and iteration. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const codec = new EnvelopeCodec({ maxMessageBytes: 4096 });
const request = callEnvelope('orders.place', { orderId: 'o-1', qty: 3, price: 1.5, tags: ['a', 'ü'] }, { id: 'p.1' });
const samples = [
  request,
  replyEnvelope(request, { filled: [1, 2, 3], at: new Date(1_700_000_000_000) }, 'n2'),
  errorEnvelope(request, new TimeoutError({ target: 'orders.place', timeoutMs: 5 }).toWire('n2')),
  tellEnvelope('order/42', { type: 'cancel', reason: null, extra: undefined, big: 2n ** 70n }),
  eventEnvelope('order.filled', { bytes: new Uint8Array([1, 2, 3]), set: new Set([1]), nested: { a: [{ b: 1 }] } }),
].map((e) => codec.encodeDetached(e));

/** One fuzz input: random bytes (sometimes behind a plausible start) or a mutated encoding. */
function fuzzInput(random: () => number): Uint8Array {
  const pick = random();
  if (pick < 0.55) {
    const bytes = randomBytes(random, Math.floor(random() * 257));
    // Steer a third of these past the first-byte check so msgpackr itself gets the garbage.
    if (bytes.length > 0 && pick >= 0.37) bytes[0] = 0x40;
    return bytes;
  }
  const source = samples[Math.floor(random() * samples.length)] as Uint8Array;
  const bytes = Uint8Array.from(source);
  if (pick < 0.7) return bytes.subarray(0, Math.floor(random() * bytes.length)); // truncation
  const flips = 1 + Math.floor(random() * 4);
  for (let i = 0; i < flips; i++) {
    const at = Math.floor(random() * bytes.length);
    if (pick < 0.9)
      bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(random() * 8)); // bit flip
    else bytes[at] = Math.floor(random() * 256); // byte replacement
  }
  return bytes;
}

function randomBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** Fails the test with a reproducible description unless `error` is a DecodeError. */
function assertDecodeError(error: unknown, seed: number, i: number, input: Uint8Array): void {
  if (!DecodeError.is(error)) {
    throw new Error(`seed ${seed} #${i}: ${String(error)} for ${Buffer.from(input).toString('hex')}`);
  }
}

describe('EnvelopeCodec fuzz', () => {
  it('only ever throws DecodeError from decode (100k inputs)', () => {
    const seed = 0x5eed_c0de;
    const random = prng(seed);
    const seen = { envelopes: 0, rejected: 0 };
    for (let i = 0; i < 100_000; i++) {
      const input = fuzzInput(random);
      try {
        codec.decode(input);
        seen.envelopes++;
      } catch (error) {
        assertDecodeError(error, seed, i, input);
        seen.rejected++;
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
    // Both outcomes occur, so the generator reaches past the cheap checks into msgpackr.
    expect(seen.envelopes).toBeGreaterThan(100); // mutated encodings that are still envelopes
    expect(seen.rejected).toBeGreaterThan(50_000);
    // The codec still works after all that garbage.
    expect(codec.decode(samples[0] as Uint8Array)).toEqual(request);
  }, 60_000); // ~3 s on a quiet machine; the margin is for a loaded shared CI box
});
