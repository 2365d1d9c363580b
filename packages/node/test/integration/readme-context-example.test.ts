// The "What a function sees and says" example of the README, run as written on a real nats-server and two
// `lucent-node` processes (keep the two in sync; the nodes load the same functions from
// fixtures/readme-context-fns.mjs).
import { defineEvent, defineFunction, failedOf, HandlerError, RetryableError } from '@lucent/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';

// --- README fns start ---
export const orderPriced = defineEvent<{ orderId: string; total: number }>('OrderPriced');
export const priceOrder = defineFunction(
  { name: 'priceOrder', shardBy: 'orderId', events: { completed: true, failed: true }, retry: { maxAttempts: 3 } },
  (ctx, order: { orderId: string; qty: number; price: number }) => {
    if (order.qty > 1_000) throw new RetryableError({ reason: 'price feed busy' }); // retried after a backoff
    if (order.qty <= 0) throw new RangeError('empty order'); // not retried: a Failed event says why
    ctx.logger.info({ tenant: ctx.metadata.tenant }, 'pricing'); // in the node's log with the correlation id
    const total = order.qty * order.price;
    ctx.emit(orderPriced, { orderId: order.orderId, total }); // published once the call succeeded
    return total;
  },
);
export const shardName = defineFunction({ name: 'shardName' }, (ctx) => ctx.shard.id);
// --- README fns end ---

const processes = new NodeProcesses();
const nodes: NodeProcess[] = [];
let server: NatsServerHandle;
let cluster: ClusterClient;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  for (const [id, tags] of [
    ['eu-1', 'eu'],
    ['us-1', 'us'],
  ] as const) {
    const args = clusterNodeArgs(id, { cluster: 'readme12', natsUrl: server.url, heartbeatMs: 250 }, [
      ...['--threads', '1', '--tags', tags, '--functions', fixture('readme-context-fns.mjs')],
    ]);
    nodes.push(processes.start({ args }));
  }
  for (const node of nodes) await node.waitForLog('node.ready', 25_000);
  cluster = await connectCluster({ servers: server.url, cluster: 'readme12', heartbeatIntervalMs: 250 });
  await cluster.waitForMembers(2);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await processes.killAll();
  await server?.stop();
});

describe('README: context, events, retries, scatter-gather', () => {
  it('runs as documented', async () => {
    const seen: { correlationId: string; causationId: string; data: unknown }[] = [];
    let failure: unknown;
    // --- README app start ---
    const { client } = cluster; // connectCluster(...)
    const priced = client.on(orderPriced); // async iterable of OrderPriced events
    const failures = client.on(failedOf(priceOrder)); // priceOrderFailed, e.data.error is the typed error
    const completed: number[] = [];
    client.on(priceOrder, (e) => completed.push(e.data)); // priceOrderCompleted, typed number
    await client.transport.flush(); // (test only: the subscriptions reached the server)

    const order = { orderId: 'o-1', qty: 2, price: 5 };
    const total = await client.call(priceOrder, order, { correlationId: 'checkout-42', metadata: { tenant: 'acme' } });
    for await (const e of priced) {
      // { orderId: 'o-1', total: 10 }, e.correlationId === 'checkout-42', e.causationId: the call's id
      seen.push(e);
      break;
    }
    await client.call(priceOrder, { orderId: 'o-2', qty: 0, price: 5 }).catch(() => {}); // HandlerError
    for await (const e of failures) {
      failure = e.data.error;
      break; // e.data.error.code === 'LUCENT_HANDLER'
    }

    const shards = await client.scatter(shardName, null, { aggregate: (results) => results.map((r) => r.value) });
    const euOnly = await client.scatter(shardName, null, { shards: 'eu' }); // { results, errors }
    const orders = Array.from({ length: 100 }, (_, i) => ({ orderId: `o${i}`, qty: i + 1, price: 2 }));
    const totals = await client.gather(priceOrder, orders); // [2, 4, 6, ...] in input order, one message per shard
    const bad = [...orders, { orderId: 'x', qty: 0, price: 1 }];
    const { values, errors } = await client.gather(priceOrder, bad, { partial: 'collect' }); // errors: [{ index: 100, error }]
    // --- README app end ---

    expect(total).toBe(10);
    expect(seen[0]).toMatchObject({ correlationId: 'checkout-42', data: { orderId: 'o-1', total: 10 } });
    expect(seen[0]!.causationId).not.toBe('');
    expect(HandlerError.is(failure)).toBe(true);
    await expect.poll(() => completed).toContain(10);
    expect(shards).toEqual(['eu-1', 'us-1']);
    expect(euOnly.results.map((r) => r.value)).toEqual(['eu-1']);
    expect(totals).toEqual(orders.map((o) => o.qty * 2));
    expect(values.slice(0, 100)).toEqual(totals);
    expect(errors.map((e) => [e.index, e.error.code])).toEqual([[100, 'LUCENT_HANDLER']]);
    const logged = nodes.flatMap((n) => n.lines).find((l) => l.msg === 'pricing' && l.correlationId === 'checkout-42');
    expect(logged).toMatchObject({ tenant: 'acme', fn: 'priceOrder' });
    priced.close();
    failures.close();
  });
});
