/**
 * Delayed transitions (`after`) across persistence. xstate alone loses them: the persisted snapshot has no timer
 * and a restored actor does not re-arm it (the first test shows it on the raw library). A function actor stores
 * their due times beside the snapshot and resumes them with the remaining time, and keeps a durable wake reminder
 * at the earliest one (simulated clock; never sleeps).
 */
import type { ReminderSchedule } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { assign, createActor, type EventObject, setup } from 'xstate';
import { createFunctionActors } from '../src/function-actor/activator.js';
import { defineActor } from '../src/function-actor/define-actor.js';
import { AFTER_REMINDER, DELAYS_FIELD } from '../src/function-actor/delayed-events.js';
import type { ReminderPort } from '../src/function-actor/reminders.js';
import { MemoryStateStore } from '../src/memory-state-store.js';
import { createTestKit, type TestKit } from '../src/testkit.js';

const machine = setup({
  types: { context: {} as { done: number }, events: {} as { type: 'start' } | { type: 'get' } },
}).createMachine({
  id: 'timer',
  context: { done: 0 },
  initial: 'idle',
  states: {
    idle: { on: { start: 'waiting' } },
    waiting: { after: { 5000: { target: 'idle', actions: assign({ done: ({ context }) => context.done + 1 }) } } },
  },
});
const timer = defineActor({ type: 'timer', machine, passivateAfterMs: 1_000 });

/** A reminder port that records what it is asked to store. */
class RecordingPort implements ReminderPort {
  readonly set_: { name: string; schedule: ReminderSchedule; event: EventObject }[] = [];
  readonly cancelled: string[] = [];
  set(_type: string, _id: string, name: string, schedule: ReminderSchedule, event: EventObject): Promise<void> {
    this.set_.push({ name, schedule, event });
    return Promise.resolve();
  }
  cancel(_type: string, _id: string, name: string): Promise<void> {
    this.cancelled.push(name);
    return Promise.resolve();
  }
}

let kit: TestKit | undefined;
afterEach(async () => {
  await kit?.shutdown();
  kit = undefined;
});

describe('delayed transitions across persistence', () => {
  it('raw xstate: a restored snapshot does not re-arm its after timer (what Lucent fixes)', () => {
    const timers: number[] = [];
    const clock = { setTimeout: (_fn: () => void, ms: number) => timers.push(ms), clearTimeout: () => {} };
    const first = createActor(machine, { clock }).start();
    first.send({ type: 'start' });
    expect(timers).toEqual([5_000]);
    const persisted = first.getPersistedSnapshot();
    expect(Object.keys(persisted as object)).not.toContain(DELAYS_FIELD);
    createActor(machine, { clock, snapshot: persisted }).start();
    expect(timers).toEqual([5_000]); // nothing armed on restore
  });

  it('a passivated actor resumes its after timer with the remaining time, not from scratch', async () => {
    kit = createTestKit();
    const store = new MemoryStateStore();
    const actors = createFunctionActors({ system: kit.system, store, definitions: [timer] });
    await actors.ask('timer', 't1', { type: 'start' });
    await kit.advance(2_000);
    expect(actors.activeCount).toBe(0); // passivated at 1 s, its timer gone with it
    const stored = (await store.load('timer/t1'))?.snapshot as Record<string, unknown>;
    expect(stored.value).toBe('waiting');
    expect(stored[DELAYS_FIELD]).toEqual([expect.objectContaining({ dueAt: kit.clock.wallNow() - 2_000 + 5_000 })]);
    await kit.advance(1_000); // t = 3 s: reactivate; 2 s remain
    expect((await actors.ask('timer', 't1', { type: 'get' })).done).toBe(0);
    await kit.advance(1_900);
    expect((await actors.ask('timer', 't1', { type: 'get' })).done).toBe(0);
    await kit.advance(200); // t = 5.1 s: due at 5 s, fired once
    expect((await actors.ask('timer', 't1', { type: 'get' })).done).toBe(1);
    await actors.stopAll();
  });

  it('an overdue timer fires at once on restore', async () => {
    kit = createTestKit();
    const store = new MemoryStateStore();
    const actors = createFunctionActors({ system: kit.system, store, definitions: [timer] });
    await actors.ask('timer', 't2', { type: 'start' });
    await kit.advance(9_000); // passivated long before the timer was due
    await actors.ask('timer', 't2', { type: 'get' });
    await kit.advance(1);
    expect((await actors.ask('timer', 't2', { type: 'get' })).done).toBe(1);
    await actors.stopAll();
  });

  it('keeps a durable wake reminder at the earliest pending after timer', async () => {
    kit = createTestKit();
    const port = new RecordingPort();
    const actors = createFunctionActors({
      system: kit.system,
      store: new MemoryStateStore(),
      definitions: [timer],
      reminders: port,
    });
    const startedAt = kit.clock.wallNow();
    await actors.ask('timer', 't3', { type: 'start' });
    expect(port.set_).toEqual([
      { name: AFTER_REMINDER, schedule: { at: startedAt + 5_000 }, event: { type: 'lucent.wake' } },
    ]);
    await kit.advance(5_100); // passivated at 1 s: only the reminder would wake it
    // What the reminder delivers: the wake event (ignored by the machine) reactivates it; the overdue timer fires.
    await actors.ask('timer', 't3', { type: 'lucent.wake' } as never);
    await kit.advance(1);
    expect((await actors.ask('timer', 't3', { type: 'get' })).done).toBe(1);
    const again = kit.clock.wallNow();
    await actors.ask('timer', 't3', { type: 'start' });
    expect(port.set_.at(-1)?.schedule).toEqual({ at: again + 5_000 });
    await actors.stopAll();
  });
});
