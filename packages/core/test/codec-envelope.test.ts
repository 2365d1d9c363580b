import { describe, expect, it } from 'vitest';
import { EnvelopeCodec } from '../src/codec.js';
import {
  askEnvelope,
  attemptOf,
  callEnvelope,
  controlEnvelope,
  ENVELOPE_FIELDS,
  ENVELOPE_RETRY_FIELDS,
  type Envelope,
  EnvelopeKind,
  envelopeKindName,
  errorEnvelope,
  eventEnvelope,
  forwardedEnvelope,
  isEnvelopeKind,
  isExpired,
  nextEnvelopeId,
  replyEnvelope,
  tellEnvelope,
} from '../src/envelope.js';
import { envelopeProblem } from '../src/envelope-check.js';
import { TimeoutError } from '../src/errors.js';

const request = callEnvelope(
  'orders.place',
  { qty: 1 },
  { deadline: 1000, traceparent: '00-aa-bb-01', origin: 'node-a' },
);

describe('envelope factories', () => {
  it('set kind and target, and fill absent fields with empty values', () => {
    const cases: [Envelope, EnvelopeKind, string][] = [
      [callEnvelope('fn', 1), EnvelopeKind.Call, 'fn'],
      [tellEnvelope('order/1', 1), EnvelopeKind.Tell, 'order/1'],
      [askEnvelope('order/1', 1), EnvelopeKind.Ask, 'order/1'],
      [eventEnvelope('OrderFilled', 1), EnvelopeKind.Event, 'OrderFilled'],
      [controlEnvelope('node-b', 1), EnvelopeKind.Control, 'node-b'],
    ];
    for (const [env, kind, target] of cases) {
      expect(env).toMatchObject({ kind, target, correlationId: '', deadline: 0, hops: 0, traceparent: '', origin: '' });
      expect(envelopeProblem(env)).toBe('');
    }
  });

  it('build every kind with its properties in wire order (one hidden class, one msgpack structure)', () => {
    const all = [
      request,
      tellEnvelope('a/1', 1),
      askEnvelope('a/1', 1),
      eventEnvelope('e', 1),
      controlEnvelope('n', 1),
      replyEnvelope(request, 1),
      errorEnvelope(request, new TimeoutError({ target: 't', timeoutMs: 1 }).toWire()),
      forwardedEnvelope(request),
    ];
    for (const env of all) expect(Object.keys(env)).toEqual([...ENVELOPE_FIELDS]);
  });

  it('answers go to the requester, correlate by request id and stay in its trace', () => {
    const reply = replyEnvelope(request, { ok: true }, 'node-b');
    expect(reply).toMatchObject({
      kind: EnvelopeKind.Reply,
      target: 'node-a',
      correlationId: request.id,
      traceparent: '00-aa-bb-01',
      origin: 'node-b',
      deadline: 0,
    });
    // Answers are identified by correlationId; they carry no id of their own.
    expect(reply.id).toBe('');
    const wire = new TimeoutError({ target: 'orders.place', timeoutMs: 5 }).toWire('node-b');
    const failure = errorEnvelope(request, wire, 'node-b');
    expect(failure.kind).toBe(EnvelopeKind.Error);
    expect(failure.correlationId).toBe(request.id);
    expect(TimeoutError.is(failure.payload)).toBe(true);
  });

  it('accept an explicit id', () => {
    expect(callEnvelope('fn', 1, { id: 'fixed.1' }).id).toBe('fixed.1');
  });
});

describe('envelope ids', () => {
  it('are unique and share this process prefix', () => {
    const ids = Array.from({ length: 10_000 }, () => nextEnvelopeId());
    expect(new Set(ids).size).toBe(ids.length);
    const prefix = (ids[0] as string).split('.')[0];
    expect(prefix).toMatch(/^[0-9A-Za-z_-]{8}$/);
    // Under 16 characters: msgpackr's fast string path (see envelope.ts).
    expect(ids.every((id) => id.length < 16)).toBe(true);
    expect(ids.every((id) => id.startsWith(`${prefix}.`))).toBe(true);
  });
});

describe('envelope helpers', () => {
  it('forwardedEnvelope adds one hop without touching the original', () => {
    const once = forwardedEnvelope(request);
    const twice = forwardedEnvelope(once);
    expect([request.hops, once.hops, twice.hops]).toEqual([0, 1, 2]);
    expect({ ...twice, hops: 0 }).toEqual(request);
  });

  it('isExpired is false without a deadline and true from the deadline on', () => {
    expect(isExpired(callEnvelope('fn', 1), Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(isExpired(request, 999)).toBe(false);
    expect(isExpired(request, 1000)).toBe(true);
  });

  it('isEnvelopeKind accepts exactly the kind integers', () => {
    for (const kind of Object.values(EnvelopeKind)) expect(isEnvelopeKind(kind)).toBe(true);
    for (const other of [0, 9, 1.5, -1, '1', null, undefined, Number.NaN]) expect(isEnvelopeKind(other)).toBe(false);
  });

  it('envelopeKindName names kinds for logs', () => {
    expect(envelopeKindName(EnvelopeKind.Ask)).toBe('ask');
    expect(envelopeKindName(EnvelopeKind.Error)).toBe('error');
    expect(envelopeKindName(42)).toBe('unknown');
  });
});

describe('retried requests (attempt)', () => {
  it('carry attempt only from 2 on, as the last field, and keep it through a forward and the codec', () => {
    const first = callEnvelope('f', 1, { attempt: 1 });
    expect(Object.keys(first)).toEqual([...ENVELOPE_FIELDS]);
    expect(attemptOf(first)).toBe(1);
    const retry = callEnvelope('f', 1, { id: first.id, attempt: 2 });
    expect(Object.keys(retry)).toEqual([...ENVELOPE_RETRY_FIELDS]);
    expect(attemptOf(forwardedEnvelope(retry))).toBe(2);
    expect(Object.keys(forwardedEnvelope(first))).toEqual([...ENVELOPE_FIELDS]);
    const codec = new EnvelopeCodec();
    const plain = codec.encode(first);
    const retried = codec.encode(retry);
    // A first attempt's bytes do not grow: the retry is its own record structure, one value longer.
    expect(plain[0]).toBe(0x40);
    expect(retried[0]).toBe(0x41);
    expect(retried.length).toBe(plain.length + 1);
    expect(codec.decode(retried)).toEqual(retry);
    expect('attempt' in codec.decode(plain)).toBe(false);
  });

  it('refuses an attempt that is not an integer of at least 2', () => {
    const base = callEnvelope('f', 1);
    for (const attempt of [1, 0, 2.5, '2', -3]) {
      expect(envelopeProblem({ ...base, attempt })).toBe('attempt is not an integer >= 2');
    }
    expect(envelopeProblem({ ...base, attempt: 3 })).toBe('');
  });
});
