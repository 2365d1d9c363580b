// The README example for function actors, kept compiling and passing.
import { expect, it } from 'vitest';
import { assign, emit, setup } from 'xstate';
import {
  createActorSystem,
  createFunctionActors,
  defineActor,
  type LucentReply,
  MemoryStateStore,
  SimulatedClock,
} from '../src/index.js';

it('README: counter and account function actors', async () => {
  // 1. A machine. Events are plain data (they may cross the wire).
  const counterMachine = setup({
    types: { context: {} as { count: number }, events: {} as { type: 'inc'; by?: number } | { type: 'reset' } },
  }).createMachine({
    context: { count: 0 },
    on: {
      inc: { actions: assign({ count: ({ context, event }) => context.count + (event.by ?? 1) }) },
      reset: { actions: assign({ count: 0 }) },
    },
  });

  // 2. An actor type: asks reply with the context by default.
  const counter = defineActor({
    type: 'counter',
    machine: counterMachine,
    persist: { everyMs: 5_000 }, // and always on stop / passivation
    passivateAfterMs: 60_000,
  });

  // 3. Or an explicit reply: emit { type: 'lucent.reply', value } from an action, with replyWith: 'emit'.
  const accountMachine = setup({
    types: {
      context: {} as { balance: number },
      events: {} as { type: 'deposit'; amount: number },
      emitted: {} as LucentReply<number>,
    },
  }).createMachine({
    context: { balance: 0 },
    on: {
      deposit: {
        actions: [
          assign({ balance: ({ context, event }) => context.balance + event.amount }),
          emit(({ context }) => ({ type: 'lucent.reply' as const, value: context.balance })),
        ],
      },
    },
  });
  const account = defineActor({ type: 'account', machine: accountMachine, replyWith: 'emit' });

  // 4. A system, a store, and the (type, id) directory.
  const system = createActorSystem({ name: 'example', clock: new SimulatedClock() });
  const actors = createFunctionActors({ system, store: new MemoryStateStore(), definitions: [counter, account] });

  actors.tell('counter', 'c-1', { type: 'inc', by: 2 }); // activates counter/c-1
  const { count } = await actors.ask('counter', 'c-1', { type: 'inc' }); // typed: { count: number }
  const balance = await actors.ref('account', 'a-1').ask({ type: 'deposit', amount: 10 }); // number | undefined

  actors.onLifecycle((change) => void change); // { type, id, from, to, error? }
  await system.terminate(); // stops every actor; function actors save their final snapshot

  expect(count).toBe(3);
  expect(balance).toBe(10);
});
