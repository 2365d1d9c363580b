// Actor subscriptions (`defineActor({ subscribe })`): validation, the pure delivery decision, and the saga
// machine's inbox, waits and claims (what a durable `waitFor` is built on).
import { ConfigError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import {
  decideSubscribedDelivery,
  defineActor,
  defineSaga,
  SAGA_INBOX_CAPACITY,
  type SagaEvent,
  type SagaState,
} from '../src/internal.js';

const machine = setup({}).createMachine({ id: 'm' });

function configErrorOf(fn: () => unknown): { field?: string } | undefined {
  try {
    fn();
  } catch (error) {
    if (ConfigError.is(error)) return (error as unknown as { details: { field?: string } }).details;
    throw error;
  }
  return undefined;
}

describe('defineActor({ subscribe })', () => {
  it('resolves each event type with its idFrom and when; none when not declared', () => {
    const actor = defineActor({
      type: 'customer',
      machine,
      subscribe: { OrderPlaced: { idFrom: (o: { c: string }) => o.c, when: (o: { qty: number }) => o.qty > 1 } },
    });
    expect(actor.subscriptions.map((s) => s.eventType)).toEqual(['OrderPlaced']);
    expect(actor.subscriptions[0]?.idFrom({ c: 'ann' }, 'OrderPlaced')).toBe('ann');
    expect(defineActor({ type: 'plain', machine }).subscriptions).toEqual([]);
  });

  it('refuses a bad event type, a missing idFrom and a when that is not a function (ConfigError with the field)', () => {
    const define = (subscribe: unknown) => () => defineActor({ type: 'a', machine, subscribe: subscribe as never });
    expect(configErrorOf(define({ 'a.b': { idFrom: () => 'x' } }))?.field).toBe('subscribe.a.b');
    expect(configErrorOf(define({ Paid: {} }))?.field).toBe('subscribe.Paid.idFrom');
    expect(configErrorOf(define({ Paid: { idFrom: () => 'x', when: true } }))?.field).toBe('subscribe.Paid.when');
    expect(configErrorOf(define([]))?.field).toBe('subscribe');
  });
});

describe('decideSubscribedDelivery', () => {
  const [subscription] = defineActor({
    type: 'customer',
    machine,
    subscribe: {
      OrderPlaced: { idFrom: (o: { c?: string }) => o.c as string, when: (o: { qty: number }) => o.qty >= 100 },
    },
  }).subscriptions;

  it('skips what `when` refuses, and sends the rest to the actor idFrom names as { type, data, eventId }', () => {
    expect(decideSubscribedDelivery('customer', subscription!, 'e1', { c: 'ann', qty: 5 })).toEqual({ type: 'skip' });
    expect(decideSubscribedDelivery('customer', subscription!, 'e2', { c: 'ann', qty: 150 })).toEqual({
      type: 'deliver',
      id: 'ann',
      message: { type: 'OrderPlaced', data: { c: 'ann', qty: 150 }, eventId: 'e2' },
    });
  });

  it('throws ConfigError when idFrom gives no id, and what a predicate throws', () => {
    expect(configErrorOf(() => decideSubscribedDelivery('customer', subscription!, 'e', { qty: 100 }))?.field).toBe(
      'subscribe.OrderPlaced.idFrom',
    );
    expect(() => decideSubscribedDelivery('customer', subscription!, 'e', null)).toThrow(TypeError);
  });
});

describe('the saga machine: inbox, waits and claims', () => {
  const saga = defineSaga({
    name: 'pay',
    subscribe: { Paid: { idFrom: (d: { id: string }) => d.id } },
    steps: [{ name: 'wait', run: () => 1 }],
  });

  function run(...events: unknown[]): SagaState {
    const actor = createActor(saga.actor.machine).start();
    for (const event of events) actor.send(event as SagaEvent);
    return actor.getSnapshot().context;
  }
  const paid = (eventId: string, amount = 1) => ({ type: 'Paid', eventId, data: { id: 's', amount } });
  const started = { type: 'saga.start', input: {} };

  it('stores subscribed events only while it runs, once per event id, and ignores other types', () => {
    const state = run(paid('before'), started, paid('e1'), paid('e1'), { type: 'Other', eventId: 'o', data: 1 });
    expect(state.inbox.map((event) => event.eventId)).toEqual(['e1']);
  });

  it(`keeps at most ${SAGA_INBOX_CAPACITY} events, dropping the oldest and counting them`, () => {
    const events = Array.from({ length: SAGA_INBOX_CAPACITY + 3 }, (_, i) => paid(`e${i}`));
    const state = run(started, ...events);
    expect(state.inbox).toHaveLength(SAGA_INBOX_CAPACITY);
    expect(state.inbox[0]?.eventId).toBe('e3');
    expect(state.inboxDropped).toBe(3);
  });

  it('a wait keeps its first deadline; a claim moves the event out of the inbox once', () => {
    const state = run(
      started,
      { type: 'saga.wait', key: 'wait#1', wait: { type: 'Paid', deadline: 1_000 } },
      { type: 'saga.wait', key: 'wait#1', wait: { type: 'Paid', deadline: 9_000 } },
      paid('e1', 5),
      paid('e2', 7),
      { type: 'saga.claim', key: 'wait#1', eventId: 'e2' },
      { type: 'saga.claim', key: 'wait#1', eventId: 'e1' }, // the key has its event
      { type: 'saga.claim', key: 'other#1', eventId: 'e2' }, // already taken
      paid('e2', 7), // a redelivery of a claimed event is not stored again
    );
    expect(state.waits).toEqual({ 'wait#1': { type: 'Paid', deadline: 1_000 } });
    expect(state.claims).toEqual({ 'wait#1': { type: 'Paid', eventId: 'e2', data: { id: 's', amount: 7 } } });
    expect(state.inbox.map((event) => event.eventId)).toEqual(['e1']);
  });
});
