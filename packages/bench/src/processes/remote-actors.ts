/**
 * The actor module of the `node/remote` bench: a counter the bench's node process hosts (`--actors`). Tells
 * increment it; an ask replies with the context, so the bench can check every tell was applied.
 */
import { defineActor } from '@lucent/actors/internal';
import { assign, setup } from 'xstate';

const counterMachine = setup({
  types: { context: {} as { count: number }, events: {} as { type: 'inc' } | { type: 'get' } },
}).createMachine({
  context: { count: 0 },
  on: { inc: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

/** `benchCounter/<id>`: counts `inc` events. */
export const benchCounter = defineActor({ type: 'benchCounter', machine: counterMachine });
