/**
 * core/codec: Lucent's envelope codec against JSON on the same ~200 B call envelope, in one tinybench run.
 * Also measures raw msgpackr (the envelope structure without Lucent's field checks and size limit) to show
 * what the checks cost, encode-only rates, and the encoded sizes. (Batching many envelopes in one wire message
 * is the transport's framing, measured by node/transport.)
 */
import { callEnvelope, ENVELOPE_FIELDS, type Envelope, EnvelopeCodec } from '@lucent/core/internal';
import { Packr, Unpackr } from 'msgpackr';
import { measureOps } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

/** A realistic call: an order to place, with a deadline and the sender's node id (no trace context). */
function orderCall(): Envelope {
  return callEnvelope(
    'orders.place',
    { orderId: 'ord-2026-000123', symbol: 'AAPL', qty: 100, price: 187.25, side: 'buy', account: 'acc-77' },
    { deadline: Date.now() + 5000, origin: 'node-eu-1' },
  );
}

export const scenario: Scenario = {
  name: 'core/codec',
  suite: 'core',
  async run(opts) {
    const codec = new EnvelopeCodec();
    const env = orderCall();
    // The baseline §4 configuration: one shared structure, no checks. Payload objects as plain maps, like Lucent.
    const keys: string[] & { isShared?: boolean } = [...ENVELOPE_FIELDS];
    keys.isShared = true;
    const rawPackr = new Packr({ structures: [keys], maxSharedStructures: 1, useRecords: (v) => v === env });
    const rawUnpackr = new Unpackr({ structures: [[...ENVELOPE_FIELDS]], mapsAsObjects: true });

    const encoded = codec.encodeDetached(env);
    const json = JSON.stringify(env);
    let sink: unknown;

    const measurements = await measureOps(
      {
        'lucent encode+decode': () => {
          sink = codec.decode(codec.encode(env));
        },
        'JSON stringify+parse': () => {
          sink = JSON.parse(JSON.stringify(env));
        },
        'msgpackr raw encode+decode': () => {
          sink = rawUnpackr.unpack(rawPackr.pack(env));
        },
        'lucent encode': () => {
          sink = codec.encode(env);
        },
        'lucent encodeDetached': () => {
          sink = codec.encodeDetached(env);
        },
        'JSON stringify': () => {
          sink = JSON.stringify(env);
        },
        'lucent decode': () => {
          sink = codec.decode(encoded);
        },
        'JSON parse': () => {
          sink = JSON.parse(json);
        },
      },
      opts,
    );
    if (sink === undefined) throw new Error('unreachable: keeps the results alive');

    const sizes: Measurement[] = [
      { name: 'lucent size', value: encoded.length, unit: 'bytes' },
      { name: 'JSON size', value: Buffer.byteLength(json), unit: 'bytes' },
    ];

    return {
      measurements: [...measurements, ...sizes],
      ratios: [
        {
          name: 'encode+decode vs JSON',
          of: 'lucent encode+decode',
          to: 'JSON stringify+parse',
          goal: { op: '>=', value: 1.3 },
        },
        { name: 'encode vs JSON', of: 'lucent encode', to: 'JSON stringify' },
        { name: 'decode vs JSON', of: 'lucent decode', to: 'JSON parse' },
        {
          name: 'encode+decode vs raw msgpackr (cost of checks)',
          of: 'lucent encode+decode',
          to: 'msgpackr raw encode+decode',
        },
        { name: 'JSON size / lucent size', of: 'JSON size', to: 'lucent size' },
      ],
      notes: [
        `Envelope: call 'orders.place' with a 6-field order, deadline and origin; ${encoded.length} B as msgpack, ${Buffer.byteLength(json)} B as JSON.`,
        "encode returns a view into msgpackr's shared buffer; encodeDetached adds the exact-size copy needed for postMessage.",
        'msgpackr raw = same envelope structure without field checks, size limit or error wrapping.',
      ],
    };
  },
};
