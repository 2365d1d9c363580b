/**
 * A saga step's durable `waitFor` (`saga-wait.ts`) and the wake-ups behind it (`saga-wakeups.ts`), on a real saga
 * actor (durable persistence into a MemoryStateStore) and a simulated clock: stored events are found, a wake-up
 * ends a sleep at once, a lost one costs one poll, the stored deadline bounds a wait run again, and an abort
 * leaves nothing behind.
 */
import {
  createActorSystem,
  createFunctionActors,
  defineSaga,
  flushMicrotasks,
  MemoryStateStore,
  type SagaEvent,
  type SagaState,
} from '@lucent/actors/internal';
import { ConfigError, SimulatedClock, TimeoutError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { durableWaitFor, SAGA_WAIT_POLL_MS, type SagaWaitServices } from '../src/saga/saga-wait.js';
import { SagaWakeups } from '../src/saga/saga-wakeups.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';
import { InMemoryTransport } from '../src/transport/in-memory-transport.js';

const saga = defineSaga({
  name: 'pay',
  subscribe: { Paid: { idFrom: (d: { id: string }) => d.id } },
  steps: [{ name: 'wait', run: () => 1 }],
});
const KEY = 'saga-pay/s1';

function setup() {
  const clock = new SimulatedClock();
  const system = createActorSystem({ name: 'wait-test', clock });
  const actors = createFunctionActors({ system, store: new MemoryStateStore(), definitions: [saga.actor] });
  const ask = (event: unknown) =>
    (actors as unknown as { ask(t: string, i: string, e: unknown): Promise<SagaState> }).ask(
      saga.actor.type,
      's1',
      event,
    );
  const wakeups = new SagaWakeups(clock);
  const services: SagaWaitServices = {
    clock,
    ask: (event: SagaEvent) => ask(event),
    wakeups,
    sagaKey: KEY,
    saga: 'pay',
    subscribedTypes: ['Paid'],
  };
  const paid = (eventId: string, amount: number) => ask({ type: 'Paid', eventId, data: { id: 's1', amount } });
  return { clock, ask, wakeups, services, paid };
}

/** Records how `promise` settled, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const result: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(result, { value, done: true }),
    (error: unknown) => Object.assign(result, { error, done: true }),
  );
  return result;
}

const never = new AbortController().signal;

describe('durableWaitFor', () => {
  it('takes the first stored event that matches, also one stored before the wait began', async () => {
    const { ask, services, paid } = setup();
    await ask({ type: 'saga.start', input: {} });
    await paid('e1', 5);
    await paid('e2', 50);
    const data = await durableWaitFor<{ amount: number }>(
      services,
      'wait#1',
      'Paid',
      (d) => d.amount > 10,
      5_000,
      never,
    );
    expect(data).toEqual({ id: 's1', amount: 50 });
    // Run again (a retry or a resumed step): the same key gets the same event, not the next one.
    await paid('e3', 70);
    expect(await durableWaitFor(services, 'wait#1', 'Paid', () => true, 5_000, never)).toEqual({
      id: 's1',
      amount: 50,
    });
    expect((await ask({ type: 'saga.status' })).inbox.map((event) => event.eventId)).toEqual(['e1', 'e3']);
  });

  it('wakes at once on a wake-up for its saga; without one it finds the event at the next poll', async () => {
    const { clock, ask, wakeups, services, paid } = setup();
    await ask({ type: 'saga.start', input: {} });
    const timers = clock.pendingTimers; // the actor's own
    const woken = track(durableWaitFor(services, 'wait#1', 'Paid', () => true, 60_000, never));
    await flushMicrotasks();
    expect(wakeups.sleeping).toBe(1);
    await paid('e1', 1);
    wakeups.wake('saga-pay/other'); // another saga's: no effect
    await flushMicrotasks();
    expect(woken.done).toBe(false);
    wakeups.wake(KEY);
    for (let i = 0; i < 20 && !woken.done; i++) await flushMicrotasks();
    expect(woken.value).toEqual({ id: 's1', amount: 1 });

    const polled = track(durableWaitFor(services, 'wait#2', 'Paid', () => true, 60_000, never));
    await flushMicrotasks();
    await paid('e2', 2); // stored, but nobody wakes the wait
    clock.advance(SAGA_WAIT_POLL_MS - 1);
    await flushMicrotasks();
    expect(polled.done).toBe(false);
    clock.advance(1);
    for (let i = 0; i < 20 && !polled.done; i++) await flushMicrotasks();
    expect(polled.value).toEqual({ id: 's1', amount: 2 });
    expect(clock.pendingTimers).toBe(timers);
  });

  it('rejects with TimeoutError at the stored deadline, which a wait run again keeps', async () => {
    const { clock, ask, services } = setup();
    await ask({ type: 'saga.start', input: {} });
    const first = track(durableWaitFor(services, 'wait#1', 'Paid', () => true, 3_000, never));
    for (let t = 0; t < 3_000; t += 500) {
      await flushMicrotasks();
      clock.advance(500);
    }
    for (let i = 0; i < 20 && !first.done; i++) await flushMicrotasks();
    expect(TimeoutError.is(first.error)).toBe(true);
    // The same wait run again (after a crash) does not start a new 3 s: its deadline has passed.
    await expect(durableWaitFor(services, 'wait#1', 'Paid', () => true, 3_000, never)).rejects.toSatisfy(
      TimeoutError.is,
    );
  });

  it("rejects with the signal's reason on abort, leaving no sleeper nor timer; ConfigError for an unsubscribed type", async () => {
    const { clock, ask, wakeups, services } = setup();
    await ask({ type: 'saga.start', input: {} });
    const timers = clock.pendingTimers; // the actor's own
    const controller = new AbortController();
    const aborted = track(durableWaitFor(services, 'wait#1', 'Paid', () => true, 60_000, controller.signal));
    await flushMicrotasks();
    controller.abort(new Error('node stopping'));
    for (let i = 0; i < 20 && !aborted.done; i++) await flushMicrotasks();
    expect(String(aborted.error)).toContain('node stopping');
    expect(wakeups.sleeping).toBe(0);
    expect(clock.pendingTimers).toBe(timers);
    await expect(durableWaitFor(services, 'wait#2', 'Refund', () => true, 1_000, never)).rejects.toSatisfy(
      ConfigError.is,
    );
  });
});

describe('SagaWakeups across nodes', () => {
  it("a wake-up sent on one node's transport wakes the sleepers of that saga on another", async () => {
    const bus = new InMemoryBus();
    const clock = new SimulatedClock();
    const here = new SagaWakeups(clock);
    const there = new SagaWakeups(clock);
    here.listen(new InMemoryTransport(bus, { cluster: 'w', name: 'here', clock }), 'w');
    there.listen(new InMemoryTransport(bus, { cluster: 'w', name: 'there', clock }), 'w');
    const sleeping = track(there.sleep(KEY, 60_000, never));
    here.wake(KEY);
    for (let i = 0; i < 50 && !sleeping.done; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(sleeping.done).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    here.close();
    there.close();
  });
});
