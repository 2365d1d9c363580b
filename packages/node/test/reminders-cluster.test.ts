/**
 * Durable reminders end to end in an in-memory test cluster on a simulated clock: an actor's machine sets and
 * cancels them, `client.tellAfter` delivers later, a passivated actor is woken, and a reminder whose partition
 * owner crashed fires on a survivor. (Real nats-server and lucent-node processes: integration/reminders.test.ts.)
 */
import { SimulatedClock } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestCluster, type TestCluster } from '../src/testing/test-cluster.js';
import { codeOfSettled } from './error-code.js';
import { order } from './fixtures/reminder-actors.js';

const ACTORS = [new URL('./fixtures/reminder-actors.ts', import.meta.url)];
let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const start = async (nodes = 3) => {
  cluster = await createTestCluster({ nodes, actors: ACTORS, clock: new SimulatedClock() });
  return cluster;
};

/** The stored state value of `order/<id>` (read from the store: an ask would activate the actor). */
const storedValue = async (c: TestCluster, id: string) =>
  (await c.store?.load(`order/${id}`))?.snapshot as { value?: string; context?: { pings: number } } | undefined;

const active = (c: TestCluster) =>
  c.nodes.filter((n) => n.state === 'running').reduce((sum, n) => sum + n.shard.node.context.actors.activeCount, 0);

describe('durable reminders (memory cluster, simulated clock)', () => {
  it('a machine sets a reminder that fires once when due, with its name and scheduled time', async () => {
    const c = await start();
    const handle = c.client.actor(order, 'o-1');
    const placedAt = c.clock.wallNow();
    await handle.ask({ type: 'place', ttlMs: 5_000 });
    await c.advance(4_000);
    expect((await handle.ask({ type: 'get' })).expiredAt).toBeNull();
    await c.advance(1_500);
    const after = await handle.ask({ type: 'get' });
    expect(after.expiredAt).toBeGreaterThanOrEqual(placedAt + 5_000);
    expect(after.expiredAt).toBeLessThanOrEqual(placedAt + 5_100);
  });

  it('a cancelled reminder never fires', async () => {
    const c = await start();
    const handle = c.client.actor(order, 'o-2');
    await handle.ask({ type: 'place', ttlMs: 2_000 });
    await handle.ask({ type: 'pay' });
    await c.advance(5_000);
    expect((await storedValue(c, 'o-2'))?.value).toBe('paid');
  });

  it('an actor passivated with a pending reminder is woken by it', async () => {
    const c = await start();
    await c.client.actor(order, 'o-3').ask({ type: 'place', ttlMs: 5_000 });
    await c.advance(2_000);
    expect(active(c)).toBe(0); // passivated after 1 s idle
    // Setting a reminder changed no state: nothing of the actor is stored, only its reminder.
    expect((await storedValue(c, 'o-3'))?.value ?? 'open').toBe('open');
    await c.advance(4_000);
    expect((await storedValue(c, 'o-3'))?.value).toBe('expired');
  });

  it('client.tellAfter delivers later; cancelReminder stops one; a bad delay is refused', async () => {
    const c = await start();
    const handle = c.client.actor(order, 'o-4');
    const sentAt = c.clock.wallNow();
    await c.client.tellAfter(order, 'o-4', { type: 'ping' }, 3_000);
    const cancelled = await handle.tellAfter({ type: 'ping' }, 3_000);
    await handle.cancelReminder(cancelled);
    await c.advance(2_000);
    expect(await storedValue(c, 'o-4')).toBeUndefined(); // never activated yet
    await c.advance(2_000);
    const state = await handle.ask({ type: 'get' });
    expect(state.pings).toBe(1);
    expect(state.lastPingScheduledAt).toBe(sentAt + 3_000);
    expect(await codeOfSettled(c.client.tellAfter(order, 'o-4', { type: 'ping' }, -5))).toBe('LUCENT_INVALID_REMINDER');
    expect(await codeOfSettled(c.client.tellAt(order, 'o-4', { type: 'ping' }, Number.NaN))).toBe(
      'LUCENT_INVALID_REMINDER',
    );
  });

  it("fires on a survivor when the node that owned the reminder's partition crashed before it was due", async () => {
    const c = await start();
    const scheduler = (id: string) => c.node(id).shard.reminders.scheduler;
    await c.client.tellAfter(order, 'o-5', { type: 'ping' }, 2_000);
    // The node scanning the reminder's partition: the one whose scheduler holds it.
    await c.advance(300);
    const owner = c.nodes.find((n) => (scheduler(n.id)?.stats.inWindow ?? 0) > 0)?.id as string;
    expect(owner).toBeDefined();
    await c.advance(700);
    await c.killNode(owner);
    await c.waitForView((view) => !view.members.some((m) => m.id === owner));
    await c.advance(3_000);
    const state = await c.client.actor(order, 'o-5').ask({ type: 'get' });
    expect(state.pings).toBe(1);
    const fired = c.nodes.filter((n) => n.state === 'running').map((n) => scheduler(n.id)?.stats.fired ?? 0);
    expect(fired.reduce((a, b) => a + b, 0)).toBe(1);
  });
});
