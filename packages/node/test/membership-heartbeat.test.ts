import {
  ConfigError,
  callEnvelope,
  controlEnvelope,
  DecodeError,
  EnvelopeCodec,
  EnvelopeKind,
  membershipSubject,
} from '@lucent/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMembershipMessage,
  encodeMembershipMessage,
  type HeartbeatMessage,
  type MembershipMessage,
  MembershipMessageType,
  wireSafeLoad,
} from '../src/membership/heartbeat.js';

const codec = new EnvelopeCodec();
const heartbeat: HeartbeatMessage = {
  type: MembershipMessageType.Heartbeat,
  node: 'n-1',
  incarnation: 1_763_900_000_123,
  tags: ['gpu', 'eu'],
  weight: 2,
  load: { cpu: 0.25, memory: 0.5, activeFunctions: 3, maxFunctions: 8, queueDepth: 1, maxQueue: 100 },
};

const roundTrip = (m: MembershipMessage) =>
  decodeMembershipMessage(codec, new Uint8Array(encodeMembershipMessage(codec, m)));
const controlBytes = (payload: unknown) => new Uint8Array(codec.encode(controlEnvelope('membership', payload)));
const expectDecodeError = (bytes: Uint8Array) =>
  expect(() => decodeMembershipMessage(codec, bytes)).toThrow(expect.objectContaining({ code: DecodeError.code }));

describe('membership wire messages', () => {
  it('share one subject per cluster', () => {
    expect(membershipSubject('prod')).toBe('lucent.prod.membership');
    expect(() => membershipSubject('a.b')).toThrow(expect.objectContaining({ code: ConfigError.code }));
  });

  it('travel as control envelopes and round-trip', () => {
    const bytes = encodeMembershipMessage(codec, heartbeat);
    const envelope = codec.decode(bytes);
    expect(envelope.kind).toBe(EnvelopeKind.Control);
    expect(envelope.origin).toBe('n-1');
    expect(roundTrip(heartbeat)).toEqual(heartbeat);
    const leave = { type: MembershipMessageType.Leave, node: 'n-1', incarnation: 7 } as const;
    expect(roundTrip(leave)).toEqual(leave);
    const probe = { type: MembershipMessageType.Probe, from: '' } as const;
    expect(roundTrip(probe)).toEqual(probe);
  });

  it('a heartbeat is small (msgpack, not JSON)', () => {
    expect(encodeMembershipMessage(codec, heartbeat).byteLength).toBeLessThan(200);
  });

  it('round-trips any valid heartbeat (property)', () => {
    const count = fc.nat({ max: 1_000_000 });
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.nat(),
        fc.array(fc.string()),
        fc.double({ min: 0.001, max: 1000, noNaN: true }),
        fc.record({
          cpu: fc.double({ min: 0, max: 1, noNaN: true }),
          memory: fc.double({ min: 0, max: 1, noNaN: true }),
          activeFunctions: count,
          maxFunctions: count,
          queueDepth: count,
          maxQueue: count,
        }),
        (node, incarnation, tags, weight, load) => {
          const m: HeartbeatMessage = { type: MembershipMessageType.Heartbeat, node, incarnation, tags, weight, load };
          expect(roundTrip(m)).toEqual(m);
        },
      ),
    );
  });

  it('rejects bytes that are not a membership message with DecodeError', () => {
    expectDecodeError(new Uint8Array([1, 2, 3]));
    expectDecodeError(new Uint8Array(codec.encode(callEnvelope('fn', { type: 1 }))));
    expectDecodeError(controlBytes(null));
    expectDecodeError(controlBytes({ type: 42 }));
    expectDecodeError(controlBytes({ ...heartbeat, node: '' }));
    expectDecodeError(controlBytes({ ...heartbeat, incarnation: -1 }));
    expectDecodeError(controlBytes({ ...heartbeat, weight: 0 }));
    expectDecodeError(controlBytes({ ...heartbeat, tags: ['ok', 3] }));
    expectDecodeError(controlBytes({ ...heartbeat, tags: 'gpu' }));
    expectDecodeError(controlBytes({ ...heartbeat, load: { ...heartbeat.load, cpu: Number.NaN } }));
    expectDecodeError(controlBytes({ ...heartbeat, load: { ...heartbeat.load, maxQueue: undefined } }));
    expectDecodeError(controlBytes({ type: MembershipMessageType.Leave, node: 'n', incarnation: 'x' }));
    expectDecodeError(controlBytes({ type: MembershipMessageType.Probe }));
  });

  it('decoded heartbeats carry only the known fields', () => {
    const decoded = decodeMembershipMessage(
      codec,
      controlBytes({ ...heartbeat, extra: 1, load: { ...heartbeat.load, x: 2 } }),
    );
    expect(decoded).toEqual(heartbeat);
  });

  it('wireSafeLoad turns any load report into one every receiver decodes', () => {
    const unsafe = { cpu: Number.NaN, memory: -1, activeFunctions: Number.POSITIVE_INFINITY, maxFunctions: 4 };
    const load = wireSafeLoad(unsafe as never);
    expect(load).toEqual({ cpu: 1, memory: 0, activeFunctions: 0, maxFunctions: 4, queueDepth: 0, maxQueue: 0 });
    expect(Object.isFrozen(load)).toBe(true);
    expect(roundTrip({ ...heartbeat, load })).toEqual({ ...heartbeat, load });
  });
});
