/** The pure parts of durable events: names, the retry policy → consumer mapping, failure decisions, dead-letter records. */
import { createRegistry, defineFunction, EnvelopeCodec, eventEnvelope } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import {
  type DeadLetterRecord,
  deadLetterMsgId,
  decodeDeadLetter,
  encodeDeadLetter,
  toDeadLetter,
} from '../src/events/dead-letter.js';
import {
  CRASH_REDELIVERIES,
  DEFAULT_EVENT_ACK_WAIT_MS,
  DEFAULT_EVENT_MAX_ACK_PENDING,
  deadLetterStreamName,
  decideFailedDelivery,
  eventConsumerName,
  eventHandlerOf,
  eventStreamName,
  planEventConsumers,
} from '../src/events/event-consumer-plan.js';
import { decodeEventMessage, encodeEventMessage } from '../src/events/event-message.js';

const codec = new EnvelopeCodec();
const handles2 = defineFunction(
  {
    name: 'ship',
    handles: ['OrderPaid', 'OrderPlaced'],
    retry: { maxAttempts: 4, backoffMs: 100, multiplier: 3, maxBackoffMs: 500 },
  },
  (_ctx, x: unknown) => x,
);
const plain = defineFunction({ name: 'price' }, (_ctx, x: unknown) => x);
const v1 = defineFunction({ name: 'audit', version: '1', handles: 'OrderPlaced' }, (_ctx, x: unknown) => x);
const v2 = defineFunction({ name: 'audit', version: '2', handles: 'OrderPlaced' }, (_ctx, x: unknown) => x);

describe('event names', () => {
  it('names the streams per cluster and a consumer per function and type', () => {
    expect(eventStreamName('prod')).toBe('LUCENT_prod_EVENTS');
    expect(deadLetterStreamName('prod')).toBe('LUCENT_prod_DLQ');
    expect(eventConsumerName('ship', 'OrderPaid')).toBe('ship--OrderPaid');
    expect(() => eventConsumerName('a.b', 'T')).toThrow(expect.objectContaining({ code: 'LUCENT_CONFIG' }));
  });
});

describe('consumer plans', () => {
  it('one consumer per (active function, handled type), its settings from the retry policy and options', () => {
    const plans = planEventConsumers(createRegistry([handles2, plain, v1, v2]), { cluster: 'c', ackWaitMs: 2000 });
    expect(plans.map((p) => p.name)).toEqual(['audit--OrderPlaced', 'ship--OrderPaid', 'ship--OrderPlaced']);
    expect(plans[1]).toMatchObject({
      functionName: 'ship',
      eventType: 'OrderPaid',
      filterSubject: 'lucent.c.events.OrderPaid',
      deadLetterSubject: 'lucent.c.dlq.ship--OrderPaid',
      maxDeliver: 4,
      maxDeliveries: 4 + CRASH_REDELIVERIES,
      ackWaitMs: 2000,
      maxAckPending: DEFAULT_EVENT_MAX_ACK_PENDING,
    });
    // The default retry policy: 3 attempts.
    expect(planEventConsumers(createRegistry([v1]), { cluster: 'c' })[0]).toMatchObject({
      maxDeliver: 3,
      ackWaitMs: DEFAULT_EVENT_ACK_WAIT_MS,
    });
  });

  it('versions side by side: a consumer per type an enabled version handles, run by a version that handles it', () => {
    const apples = defineFunction({ name: 'pick', version: '1', handles: 'Apple' }, (_ctx, x: unknown) => x);
    const pears = defineFunction(
      { name: 'pick', version: '2', handles: 'Pear', retry: { maxAttempts: 5 } },
      (_ctx, x: unknown) => x,
    );
    const registry = createRegistry([apples, pears]);
    const plans = planEventConsumers(registry, { cluster: 'c' });
    expect(plans.map((p) => [p.name, p.maxDeliver])).toEqual([
      ['pick--Apple', 3],
      ['pick--Pear', 5],
    ]);
    expect(eventHandlerOf(registry, 'pick', 'Apple')).toBe(apples);
    expect(eventHandlerOf(registry, 'pick', 'Pear')).toBe(pears);
    expect(eventHandlerOf(registry, 'pick', 'Plum')).toBeUndefined();
    // A disabled version's types are no longer consumed.
    registry.disable('pick@1');
    expect(planEventConsumers(registry, { cluster: 'c' }).map((p) => p.name)).toEqual(['pick--Pear']);
    expect(eventHandlerOf(registry, 'pick', 'Apple')).toBeUndefined();
  });

  it('refuses invalid options with ConfigError', () => {
    const registry = createRegistry([v1]);
    expect(() => planEventConsumers(registry, { cluster: 'c', ackWaitMs: 0 })).toThrow(
      expect.objectContaining({ code: 'LUCENT_CONFIG', details: expect.objectContaining({ field: 'ackWaitMs' }) }),
    );
    expect(() => planEventConsumers(registry, { cluster: 'c', maxAckPending: 1.5 })).toThrow(
      expect.objectContaining({ code: 'LUCENT_CONFIG' }),
    );
    expect(() => planEventConsumers(registry, { cluster: 'a.b' })).toThrow(
      expect.objectContaining({ code: 'LUCENT_CONFIG' }),
    );
  });

  it('retries a failed delivery after the policy delay of the next attempt, and dead-letters the last', () => {
    const [plan] = planEventConsumers(createRegistry([handles2]), { cluster: 'c' });
    expect(decideFailedDelivery(plan!, 1)).toEqual({ type: 'retry', delayMs: 100 });
    expect(decideFailedDelivery(plan!, 2)).toEqual({ type: 'retry', delayMs: 300 });
    expect(decideFailedDelivery(plan!, 3)).toEqual({ type: 'retry', delayMs: 500 });
    expect(decideFailedDelivery(plan!, 4)).toEqual({ type: 'dead-letter' });
    // Deliveries beyond maxAttempts (spares spent by crashes) are dead-lettered on failure too.
    expect(decideFailedDelivery(plan!, 5)).toEqual({ type: 'dead-letter' });
  });
});

describe('event messages and dead-letter records', () => {
  it('stores an event as one framed envelope and reads it back', () => {
    const event = eventEnvelope('OrderPlaced', { sku: 's' }, { id: 'e-1', origin: 'client' });
    expect(decodeEventMessage(encodeEventMessage(event, codec), codec)).toEqual([event]);
    expect(() => decodeEventMessage(new Uint8Array([1, 2, 3]), codec)).toThrow(
      expect.objectContaining({ code: 'LUCENT_DECODE' }),
    );
  });

  it('round-trips a record with the error, the attempts and the original event, and refuses garbage', () => {
    const event = eventEnvelope('OrderPlaced', { sku: 's' }, { id: 'e-1' });
    const record: DeadLetterRecord = {
      consumer: 'ship--OrderPlaced',
      functionName: 'ship',
      eventType: 'OrderPlaced',
      eventId: 'e-1',
      attempts: 3,
      error: { code: 'LUCENT_HANDLER', message: 'boom' },
      failedAt: 1_767_225_600_000,
      node: 'n1',
      streamSequence: 42,
      original: encodeEventMessage(event, codec),
    };
    const decoded = decodeDeadLetter(encodeDeadLetter(record));
    expect(decoded).toEqual(record);
    expect(toDeadLetter(7, decoded, codec)).toMatchObject({
      id: 7,
      attempts: 3,
      event: { id: 'e-1', payload: { sku: 's' } },
    });
    expect(toDeadLetter(7, { ...decoded, original: new Uint8Array([9]) }, codec).event).toBeUndefined();
    expect(() => decodeDeadLetter(new TextEncoder().encode('{"consumer":1}'))).toThrow(
      expect.objectContaining({ code: 'LUCENT_DECODE' }),
    );
    expect(() => decodeDeadLetter(new Uint8Array([0xff]))).toThrow(expect.objectContaining({ code: 'LUCENT_DECODE' }));
    expect(deadLetterMsgId('ship--OrderPlaced', 42)).toBe('dlq:ship--OrderPlaced:42');
  });
});
