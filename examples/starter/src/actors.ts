/**
 * Actor module: `lucent-node --actors dist/actors.js` hosts every exported actor definition. A cart is an xstate
 * machine; its state is saved (JetStream KV on NATS) and survives a node's restart or a move to another node.
 */
import { defineActor } from '@lucent/actors';
import { assign, setup } from 'xstate';

export type CartEvent = { type: 'add'; sku: string; qty: number } | { type: 'get' };

const machine = setup({
  types: { context: {} as { items: Record<string, number> }, events: {} as CartEvent },
}).createMachine({
  context: { items: {} },
  on: {
    add: {
      actions: assign({
        items: ({ context, event }) => ({ ...context.items, [event.sku]: (context.items[event.sku] ?? 0) + event.qty }),
      }),
    },
  },
});

export const cart = defineActor({ type: 'cart', machine });
