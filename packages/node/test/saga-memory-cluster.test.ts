/**
 * Sagas, durable waits and actor subscriptions without NATS: an in-memory test cluster (the standalone node's
 * parts: the bus's event log, saga index and state store) on a simulated clock. The client on the same bus starts
 * sagas and awaits them; events reach actors and sagas through their subscriptions. (Real processes:
 * integration/saga.test.ts and integration/event-when.test.ts.)
 */
import type { AnyActorDefinition, SagaDefinition, SagaState } from '@lucent/actors';
import { SimulatedClock } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import type { SagaHandle } from '../src/client/saga-client.js';
import { createTestCluster, type TestCluster } from '../src/testing/test-cluster.js';

// The README's modules (plain JavaScript, untyped): the nodes load them, the client needs the same definitions.
const ACTORS = ['conditional-actors.mjs', 'payment-saga.mjs'].map(
  (name) => new URL(`./fixtures/${name}`, import.meta.url),
);
const { customer } = (await import(ACTORS[0]!.href)) as { customer: AnyActorDefinition };
const { payment } = (await import(ACTORS[1]!.href)) as {
  payment: SagaDefinition<{ amount: number; waitMs: number }>;
};
let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const start = async (nodes: number) => {
  cluster = await createTestCluster({ nodes, actors: ACTORS, clock: new SimulatedClock() });
  return cluster;
};

/** Moves simulated time in `stepMs` steps until `handle`'s saga is final (at most `maxMs`). */
async function settle(c: TestCluster, handle: SagaHandle, maxMs = 30_000, stepMs = 250): Promise<SagaState> {
  let final: SagaState | undefined;
  const outcome = handle.result({ timeoutMs: maxMs + 5_000, pollMs: 50 }).then((state) => {
    final = state;
  });
  for (let spent = 0; final === undefined && spent <= maxMs; spent += stepMs) await c.advance(stepMs);
  await outcome;
  return final!;
}

/** Moves time until the saga's actor stored the first wait of `step` (at most `maxMs`). */
async function reach(c: TestCluster, handle: SagaHandle, step: string, maxMs = 10_000): Promise<SagaState> {
  for (let spent = 0; spent <= maxMs; spent += 100) {
    const { state } = await handle.status();
    if (state.waits[`${step}#1`] !== undefined) return state;
    await c.advance(100);
  }
  throw new Error(`never waited in ${step}`);
}

describe('sagas on the in-memory bus (standalone parts, simulated clock)', () => {
  it('a client on the bus starts a saga and awaits it; an event stored before its wait began is not missed', async () => {
    const c = await start(1);
    const handle = await c.client.saga(payment).start({ amount: 10, waitMs: 60_000 }, { id: 'p-1' });
    await reach(c, handle, 'awaitApproval');
    // Paid before approved: stored while the saga waits for the approval, found by the wait that begins later.
    await c.client.emit('PaymentReceived', { orderId: 'p-1', amount: 5 }); // too little: not a match
    await c.client.emit('PaymentReceived', { orderId: 'p-1', amount: 12 });
    await c.client.emit('PaymentReceived', { orderId: 'p-2', amount: 99 }); // another saga's
    await c.advance(500);
    expect((await handle.status()).state.inbox.map((event) => event.data)).toEqual([
      { orderId: 'p-1', amount: 5 },
      { orderId: 'p-1', amount: 12 },
    ]);
    await c.client.emit('OrderApproved', { orderId: 'p-1' });
    const state = await settle(c, handle);
    expect(state.status).toBe('completed');
    expect(state.results).toMatchObject({ awaitPayment: { orderId: 'p-1', amount: 12 }, confirm: 'paid 12' });
    expect(state.inbox.map((event) => event.data)).toEqual([{ orderId: 'p-1', amount: 5 }]);
    expect(Object.keys(state.claims).sort()).toEqual(['awaitApproval#1', 'awaitPayment#1']);
  });

  it('a wait past its deadline fails its step with LUCENT_TIMEOUT (the saga compensates)', async () => {
    const c = await start(1);
    const handle = await c.client.saga(payment).start({ amount: 10, waitMs: 3_000 }, { id: 'p-late' });
    await reach(c, handle, 'awaitApproval');
    const startedAt = c.clock.wallNow();
    await c.client.emit('OrderApproved', { orderId: 'p-late' });
    const state = await settle(c, handle);
    expect(state.status).toBe('compensated');
    expect(state.error).toMatchObject({ step: 'awaitPayment', code: 'LUCENT_TIMEOUT' });
    const wait = state.waits['awaitPayment#1']!;
    expect(wait.deadline).toBeGreaterThanOrEqual(startedAt + 3_000);
    expect(wait.deadline).toBeLessThanOrEqual(startedAt + 4_000);
  });

  it("the saga's node crashes during a wait and the event comes while it is down: the new owner completes it", async () => {
    const c = await start(3);
    const handle = await c.client.saga(payment).start({ amount: 1, waitMs: 60_000 }, { id: 'p-kill' });
    await reach(c, handle, 'awaitApproval');
    await c.client.emit('OrderApproved', { orderId: 'p-kill' });
    const { deadline } = (await reach(c, handle, 'awaitPayment')).waits['awaitPayment#1']!;
    const owner = c.view.ring.owner('saga-payment/p-kill');
    await c.killNode(owner);
    await c.client.emit('PaymentReceived', { orderId: 'p-kill', amount: 3 });
    const state = await settle(c, handle);
    expect(state.status).toBe('completed');
    expect(state.results).toMatchObject({ confirm: 'paid 3' });
    expect(state.runs.awaitPayment).toBe(2); // waited again on the new owner, with the first deadline
    expect(state.waits['awaitPayment#1']?.deadline).toBe(deadline);
    expect(c.view.ring.owner('saga-payment/p-kill')).not.toBe(owner);
  });
});

describe('actor subscriptions on the in-memory bus', () => {
  it('routes each event to the actor idFrom names, only when `when` passes, once per event', async () => {
    const c = await start(2);
    const orders = [
      { id: 'o1', customer: 'ann', qty: 5 },
      { id: 'o2', customer: 'ann', qty: 150 },
      { id: 'o3', customer: 'bob', qty: 100 },
      { id: 'o4', customer: 'ann', qty: 300 },
      { id: 'o5', customer: 'bob', qty: 99 },
    ];
    for (const order of orders) await c.client.emit('OrderPlaced', order);
    await c.advance(1_000);
    const bigOrders = async (id: string) =>
      ((await c.client.actor(customer, id).ask({ type: 'get' })) as { bigOrders: string[] }).bigOrders;
    expect(await bigOrders('ann')).toEqual(['o2', 'o4']);
    expect(await bigOrders('bob')).toEqual(['o3']);
    const served = c.nodes.flatMap((node) => node.shard.node.context.actorTypes);
    expect(served).toContain('customer');
  });
});
