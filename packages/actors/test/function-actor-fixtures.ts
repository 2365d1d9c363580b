/**
 * Machines and a harness shared by the function-actor tests: a test kit (simulated clock), a memory store wrapped
 * for fault injection, and a recorder of every lifecycle transition.
 */
import { assign, emit, setup } from 'xstate';
import { createFunctionActors } from '../src/function-actor/activator.js';
import { defineActor, type LucentReply } from '../src/function-actor/define-actor.js';
import type { LifecycleChange } from '../src/function-actor/lifecycle.js';
import { MemoryStateStore } from '../src/memory-state-store.js';
import { FaultInjectingStateStore } from '../src/state-store.js';
import { createTestKit } from '../src/testkit.js';

/** Failures the `flaky` action still has to throw (shared, reset per test). */
export const faults = { flaky: 0 };

export type CounterEvent =
  | { type: 'inc'; by?: number }
  | { type: 'log'; entry: string }
  | { type: 'flaky' }
  | { type: 'boom' }
  | { type: 'arm' }
  | { type: 'trap' };

/** A counter with a log (to check order), a flaky and an always-failing action, and a delayed transition. */
export const counterMachine = setup({
  types: { context: {} as { count: number; log: string[] }, events: {} as CounterEvent },
  actions: {
    maybeFail: () => {
      if (faults.flaky > 0) {
        faults.flaky--;
        throw new Error('flaky');
      }
    },
    fail: () => {
      throw new Error('boom');
    },
  },
}).createMachine({
  id: 'counter',
  context: { count: 0, log: [] },
  initial: 'idle',
  states: {
    idle: {
      on: {
        arm: 'armed',
        trap: 'trapped',
      },
    },
    trapped: {
      // A delayed transition whose action throws: fails outside any message.
      after: { 50: { target: 'idle', actions: 'fail' } },
    },
    armed: {
      after: { 100: { target: 'idle', actions: assign({ count: ({ context }) => context.count + 100 }) } },
    },
  },
  on: {
    inc: { actions: assign({ count: ({ context, event }) => context.count + (event.by ?? 1) }) },
    log: { actions: assign({ log: ({ context, event }) => [...context.log, event.entry] }) },
    flaky: { actions: [assign({ count: ({ context }) => context.count + 10 }), 'maybeFail'] },
    boom: { actions: [assign({ count: () => -1 }), 'fail'] },
  },
});

/** Replies through an emitted `lucent.reply`, only to `deposit`. */
export const accountMachine = setup({
  types: {
    context: {} as { balance: number },
    events: {} as { type: 'deposit'; amount: number } | { type: 'noop' },
    emitted: {} as LucentReply<{ balance: number }>,
  },
}).createMachine({
  context: { balance: 0 },
  on: {
    deposit: {
      actions: [
        assign({ balance: ({ context, event }) => context.balance + event.amount }),
        emit(({ context }) => ({ type: 'lucent.reply' as const, value: { balance: context.balance } })),
      ],
    },
  },
});

export const counter = defineActor({ type: 'counter', machine: counterMachine, maxRecoveryAttempts: 2 });
export const account = defineActor({ type: 'account', machine: accountMachine, replyWith: 'emit' });
export const idleCounter = defineActor({ type: 'idle-counter', machine: counterMachine, passivateAfterMs: 1_000 });
export const eagerCounter = defineActor({
  type: 'eager-counter',
  machine: counterMachine,
  persist: { onTransition: true },
});
export const periodicCounter = defineActor({
  type: 'periodic-counter',
  machine: counterMachine,
  persist: { everyMs: 500 },
});

export const definitions = [counter, account, idleCounter, eagerCounter, periodicCounter] as const;

/** Everything a test needs; `changes` records every lifecycle transition in order. */
export function createHarness() {
  faults.flaky = 0;
  const kit = createTestKit();
  const memory = new MemoryStateStore();
  const store = new FaultInjectingStateStore(memory);
  const actors = createFunctionActors({ system: kit.system, store, definitions });
  const changes: LifecycleChange[] = [];
  actors.onLifecycle((change) => changes.push(change));
  /** `from>to` of every transition of `(type, id)`. */
  const path = (type: string, id: string) =>
    changes.filter((c) => c.type === type && c.id === id).map((c) => `${c.from}>${c.to}`);
  return { kit, memory, store, actors, changes, path };
}

/** The code of the error `promise` rejects with (undefined when it resolves). */
export async function rejectionCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}
