// The starter's test: the functions and the actor on a test cluster of real shard nodes in this process (the
// in-memory transport; `transport: 'nats'` runs the same on its own nats-server). Needs `pnpm build` first: the
// workers import the compiled dist/functions.js.
import { createTestCluster } from '@lucent/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cart } from '../src/actors.js';
import { quote } from '../src/functions.js';

const functions = new URL('../dist/functions.js', import.meta.url);
const actors = new URL('../dist/actors.js', import.meta.url);

describe('starter', () => {
  let cluster: Awaited<ReturnType<typeof createTestCluster>>;
  beforeAll(async () => {
    cluster = await createTestCluster({ nodes: 2, functions: [functions], actors: [actors] });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('prices a quote on the owner of its sku', async () => {
    const price = await cluster.client.call(quote, { sku: 'apple', qty: 3 });
    expect(price.total).toBe(3 * (100 + 5 * 10));
  });

  it('keeps a cart across messages, and across a graceful move to another node', async () => {
    const basket = cluster.client.actor(cart, 'cart-1');
    basket.tell({ type: 'add', sku: 'apple', qty: 3 });
    expect((await basket.ask({ type: 'get' })).items).toEqual({ apple: 3 });
    await cluster.stopNode(cluster.view.ring.owner('cart/cart-1'));
    basket.tell({ type: 'add', sku: 'pear', qty: 1 });
    expect((await basket.ask({ type: 'get' })).items).toEqual({ apple: 3, pear: 1 });
  });
});
