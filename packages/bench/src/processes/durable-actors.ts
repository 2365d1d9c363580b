/**
 * The actor module of the `node/durable` bench: the same counter twice, once with the default persistence
 * (`'durable'`: an ask is answered once its state is in KV) and once `'write-behind'` (answered first, saved
 * right after), so the bench compares the two on one node in one run.
 */
import { defineActor } from '@lucent/actors/internal';
import { assign, setup } from 'xstate';

const counterMachine = setup({
  types: { context: {} as { count: number }, events: {} as { type: 'inc' } | { type: 'get' } },
}).createMachine({
  context: { count: 0 },
  on: { inc: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

/** `durableCounter/<id>`: default persistence. */
export const durableCounter = defineActor({ type: 'durableCounter', machine: counterMachine });
/** `behindCounter/<id>`: write-behind. */
export const behindCounter = defineActor({ type: 'behindCounter', machine: counterMachine, persist: 'write-behind' });
