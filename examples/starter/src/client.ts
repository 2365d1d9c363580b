/**
 * A client: connects to the cluster over NATS, calls a function and talks to an actor. Run two nodes first (see
 * README.md), then `node dist/client.js` (NATS_URL overrides the server).
 */
import { connectCluster } from '@lucent/node';
import { cart } from './actors.js';
import { quote } from './functions.js';

const cluster = await connectCluster({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
try {
  await cluster.waitForMembers(Number(process.env.MEMBERS ?? 2));
  const price = await cluster.client.call(quote, { sku: 'apple', qty: 3 });
  console.log(`quote: ${price.total} (node pid ${price.pid})`);
  const basket = cluster.client.actor(cart, 'cart-1');
  basket.tell({ type: 'add', sku: 'apple', qty: 3 });
  const state = await basket.ask({ type: 'get' });
  console.log(`cart-1: ${JSON.stringify(state.items)}`);
} finally {
  await cluster.close();
}
