/**
 * The quick start's actor module: an order, as an xstate machine. `lucent-node --actors` turns every exported
 * definition into a function actor type; each order id lives on the shard that owns `order/<id>` on the ring,
 * and its snapshot is kept in the cluster's KV bucket (in memory without NATS).
 *
 * ```
 *  open ──fill(qty)──► open (filled += qty) ──filled ≥ qty──► filled
 *    └───cancel──────► cancelled
 * ```
 */
import { defineActor } from '@lucent/actors';
import { assign, setup } from 'xstate';

export interface OrderContext {
  readonly qty: number;
  readonly filled: number;
  readonly fills: number;
}

export type OrderEvent = { type: 'fill'; qty: number } | { type: 'cancel' } | { type: 'status' };

const orderMachine = setup({
  types: { context: {} as OrderContext, events: {} as OrderEvent },
  guards: {
    completes: ({ context, event }) => event.type === 'fill' && context.filled + event.qty >= context.qty,
  },
  actions: {
    addFill: assign({
      filled: ({ context, event }) => context.filled + (event.type === 'fill' ? event.qty : 0),
      fills: ({ context }) => context.fills + 1,
    }),
  },
}).createMachine({
  id: 'order',
  context: { qty: 100, filled: 0, fills: 0 },
  initial: 'open',
  states: {
    open: {
      on: {
        fill: [{ guard: 'completes', target: 'filled', actions: 'addFill' }, { actions: 'addFill' }],
        cancel: { target: 'cancelled' },
      },
    },
    filled: {},
    cancelled: {},
  },
});

/** Asks reply with the order's context after the event. */
export const order = defineActor({ type: 'order', machine: orderMachine, persist: { everyMs: 1_000 } });
