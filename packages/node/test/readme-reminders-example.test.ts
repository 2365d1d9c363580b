/**
 * The README's "Reminders" example, run as written (the order machine is `fixtures/reminder-actors.ts`, the same
 * machine the README shows), on an in-memory test cluster with a simulated clock.
 */
import { SimulatedClock } from '@lucent/core/internal';
import { expect, it } from 'vitest';
import { createTestCluster } from '../src/testing/test-cluster.js';
import { order } from './fixtures/reminder-actors.js';

const actors = new URL('./fixtures/reminder-actors.ts', import.meta.url);

it('README reminders example', async () => {
  const cluster = await createTestCluster({ nodes: 3, actors: [actors], clock: new SimulatedClock() });
  const { client } = cluster;

  // The machine sets 'expire' 90 s ahead; it fires on whichever node owns the order then.
  await client.actor(order, 'o-1').ask({ type: 'place', ttlMs: 90_000 });
  await client.actor(order, 'o-2').ask({ type: 'place', ttlMs: 90_000 });
  await client.actor(order, 'o-2').ask({ type: 'pay' }); // cancels o-2's reminder

  // Delayed messages from the client: stored now, delivered when due, at least once.
  await client.tellAfter(order, 'o-1', { type: 'ping' }, 60_000);
  const name = await client.actor(order, 'o-2').tellAt({ type: 'ping' }, cluster.clock.wallNow() + 60_000);
  await client.cancelReminder(order, 'o-2', name);

  await cluster.advance(120_000);
  const o1 = await client.actor(order, 'o-1').ask({ type: 'get' });
  const o2 = await client.actor(order, 'o-2').ask({ type: 'get' });
  expect(o1.expiredAt).not.toBeNull(); // { type: 'expire', reminder: { name: 'expire', scheduledAt } } arrived
  expect(o1.pings).toBe(1);
  expect([o2.expiredAt, o2.pings]).toEqual([null, 0]);
  await cluster.close();
});
