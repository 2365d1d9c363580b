/**
 * createTestCluster on the in-memory transport and a simulated clock: real shard nodes joined into one cluster,
 * a client routing with membership, graceful stop and simulated crash, and deaths after exactly `deadAfterMs` of
 * simulated time. No test here waits on real time (real time, real pools and NATS:
 * test/integration/test-cluster-routing.test.ts).
 */
import { SimulatedClock } from '@lucent/core/internal';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestCluster, type TestCluster, type TestClusterOptions } from '../src/testing/test-cluster.js';
import { codeOfSettled } from './error-code.js';
import { counter } from './fixtures/counter-actor.js';

const ACTORS = [new URL('./fixtures/counter-actor.ts', import.meta.url)];
let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Members of a view, by id. */
const ids = (c: TestCluster) => c.view.members.map((m) => m.id);

/** A test cluster on a fresh simulated clock. */
const simulated = (options: TestClusterOptions) => createTestCluster({ clock: new SimulatedClock(), ...options });

describe('createTestCluster (memory)', () => {
  it('starts real shard nodes, waits until all are members and routes each actor to its owner', async () => {
    cluster = await simulated({ nodes: 3, actors: ACTORS });
    expect(ids(cluster)).toEqual(['node-1', 'node-2', 'node-3']);
    for (const node of cluster.nodes) {
      expect(node.state).toBe('running');
      expect(node.shard.node.isReady).toBe(true);
      expect(node.shard.membership.membership?.view.members).toHaveLength(3);
    }
    const handle = cluster.client.actor(counter, 'c-1');
    for (let i = 0; i < 9; i++) handle.tell({ type: 'inc' });
    expect((await handle.ask({ type: 'inc' })).count).toBe(10);
    const owner = cluster.view.ring.owner('counter/c-1');
    for (const node of cluster.nodes) {
      expect(node.shard.node.context.actors.activeCount).toBe(node.id === owner ? 1 : 0);
      expect(node.shard.router.stats.forwarded).toBe(0);
    }
  });

  it('stopNode leaves at once and saves: the next owner continues from the saved state', async () => {
    cluster = await simulated({ nodes: ['a', 'b', 'c'], actors: ACTORS });
    const handle = cluster.client.actor(counter, 'moved');
    for (let i = 0; i < 5; i++) handle.tell({ type: 'inc' });
    expect((await handle.ask({ type: 'get' })).count).toBe(5);
    const owner = cluster.view.ring.owner('counter/moved');
    await cluster.stopNode(owner);
    // The leave reached the client before stopNode resolved: no heartbeat window to wait for.
    expect(ids(cluster)).not.toContain(owner);
    expect(cluster.nodes.find((n) => n.id === owner)?.state).toBe('stopped');
    expect((await handle.ask({ type: 'inc' })).count).toBe(6);
    expect(cluster.view.ring.owner('counter/moved')).not.toBe(owner);
  });

  it('killNode is a crash: no leave, no final save, no answer from the killed node', async () => {
    cluster = await simulated({ nodes: ['a', 'b', 'c'], actors: ACTORS });
    const handle = cluster.client.actor(counter, 'crashed');
    for (let i = 0; i < 3; i++) handle.tell({ type: 'inc' });
    expect((await handle.ask({ type: 'get' })).count).toBe(3);
    const owner = cluster.view.ring.owner('counter/crashed');
    await cluster.killNode(owner);
    expect(cluster.nodes.find((n) => n.id === owner)?.state).toBe('killed');
    // Still a member for everyone (it never said goodbye), but nothing listens on its subjects any more.
    expect(ids(cluster)).toContain(owner);
    for (const node of cluster.nodes.filter((n) => n.state === 'running')) {
      expect(node.shard.membership.membership?.view.members.map((m) => m.id)).toContain(owner);
    }
    // Within a short timeout (past it the client would retry on the next owner once the view drops the node).
    const asked = codeOfSettled(handle.ask({ type: 'get' }, { timeoutMs: 100 }));
    await cluster.advance(100);
    expect(await asked).toBe('LUCENT_NODE_UNAVAILABLE');
    // Durable by default: the acknowledged state was stored before the reply, so the crash lost none of it.
    expect((await cluster.store?.load('counter/crashed'))?.snapshot).toMatchObject({ context: { count: 3 } });
    expect(() => cluster?.node(owner)).toThrow(expect.objectContaining({ code: 'LUCENT_CONFIG' }));
  });

  it('startNode brings a stopped id back, and every view includes it again', async () => {
    cluster = await simulated({ nodes: ['a', 'b'], actors: ACTORS });
    await cluster.stopNode('b');
    expect(ids(cluster)).toEqual(['a']);
    await expect(cluster.startNode('a')).rejects.toMatchObject({ code: 'LUCENT_CONFIG' });
    const again = await cluster.startNode('b');
    expect(again.state).toBe('running');
    expect(ids(cluster)).toEqual(['a', 'b']);
    expect(cluster.node('a').shard.membership.membership?.view.members.map((m) => m.id)).toEqual(['a', 'b']);
    expect(cluster.nodes.map((n) => `${n.id}:${n.state}`)).toEqual(['a:running', 'b:stopped', 'b:running']);
  });

  it('rejects a module that cannot load with ConfigError, and bad node lists', async () => {
    await expect(simulated({ nodes: 1, actors: ['/no/such/module.js'] })).rejects.toMatchObject({
      code: 'LUCENT_CONFIG',
    });
    await expect(simulated({ nodes: [] })).rejects.toMatchObject({ code: 'LUCENT_CONFIG' });
    await expect(simulated({ nodes: ['x', 'x'] })).rejects.toMatchObject({ code: 'LUCENT_CONFIG' });
    // Simulated time cannot drive a real server.
    await expect(simulated({ nodes: 1, transport: 'nats', servers: 'nats://127.0.0.1:1' })).rejects.toMatchObject({
      code: 'LUCENT_CONFIG',
      details: expect.objectContaining({ field: 'clock' }),
    });
  });
});

describe('createTestCluster (memory, simulated time)', () => {
  /** An actor id whose owner in the cluster's view is `node`. */
  const ownedBy = (c: TestCluster, node: string): string => {
    for (let i = 0; ; i++) if (c.view.ring.owner(`counter/k-${i}`) === node) return `k-${i}`;
  };

  it('forms at simulated time 0 and drops a killed node after exactly deadAfterMs, with no real-time wait', async () => {
    const deadAfterMs = 5_000; // 50 heartbeat periods: a run on real timers needs 5 s for this test
    const realStart = performance.now();
    // Not fake timers: a spy that lets every real timer through, to list the ones this scenario schedules.
    const realTimers = vi.spyOn(globalThis, 'setTimeout');
    const clock = new SimulatedClock();
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], actors: ACTORS, clock, deadAfterMs });
    expect(cluster.clock).toBe(clock);
    expect(clock.now()).toBe(0); // the probes converge the views: no heartbeat period had to pass
    const id = ownedBy(cluster, 'b');
    const handle = cluster.client.actor(counter, id);
    for (let i = 0; i < 4; i++) handle.tell({ type: 'inc' });
    expect((await handle.ask({ type: 'get' })).count).toBe(4);
    await cluster.killNode('b');
    const killedAt = clock.now();
    await cluster.advance(deadAfterMs - 1);
    // The live nodes heartbeat all along; b is still a member everywhere, one millisecond before its death.
    expect(ids(cluster)).toEqual(['a', 'b', 'c']);
    await cluster.advance(1);
    expect(clock.now()).toBe(killedAt + deadAfterMs);
    expect(ids(cluster)).toEqual(['a', 'c']);
    for (const node of ['a', 'c']) {
      expect(cluster.node(node).shard.membership.membership?.view.members.map((m) => m.id)).toEqual(['a', 'c']);
    }
    // The new owner reactivates the actor from its last saved state: durable by default, the acked 4 survived.
    expect((await handle.ask({ type: 'inc' })).count).toBe(5);
    expect(cluster.view.ring.owner(`counter/${id}`)).not.toBe('b');
    // Fails if a real-time wait sneaks back in: no real timer was armed (delivery is by setImmediate), and
    // 5 s of cluster time cost far less than 5 s of real time.
    const armed = realTimers.mock.calls.map(([, delayMs]) => delayMs ?? 0).filter((delayMs) => delayMs > 0);
    realTimers.mockRestore();
    expect(armed).toEqual([]);
    expect(performance.now() - realStart).toBeLessThan(deadAfterMs / 2);
  });

  it('waitForView drives the clock to the exact death time, and times out on simulated time', async () => {
    const realStart = Date.now();
    const clock = new SimulatedClock();
    cluster = await createTestCluster({ nodes: 3, clock, heartbeatIntervalMs: 100, deadAfterMs: 300 });
    await cluster.killNode('node-2');
    const killedAt = clock.now();
    const view = await cluster.waitForView((v) => !v.members.some((m) => m.id === 'node-2'));
    expect(view.members.map((m) => m.id)).toEqual(['node-1', 'node-3']);
    expect(clock.now() - killedAt).toBe(300);
    const before = clock.now();
    await expect(cluster.waitForView(() => false, 5_000)).rejects.toMatchObject({ code: 'LUCENT_TIMEOUT' });
    expect(clock.now() - before).toBe(5_000); // 5 s of cluster time ...
    expect(Date.now() - realStart).toBeLessThan(2_500); // ... in less than half of it in real time
    // A stopped node leaves at once: no time passes.
    const stoppedAt = clock.now();
    await cluster.stopNode('node-3');
    expect(ids(cluster)).toEqual(['node-1']);
    expect(clock.now()).toBe(stoppedAt);
  });

  it('starts a killed id again at a later instant, and the others take the new run in', async () => {
    const clock = new SimulatedClock();
    cluster = await createTestCluster({ nodes: ['a', 'b'], clock, deadAfterMs: 300 });
    await cluster.killNode('b');
    const again = await cluster.startNode('b'); // before the others declared the old run dead
    expect(again.shard.membership.membership?.incarnation).toBeGreaterThan(
      cluster.nodes[1]?.shard.membership.membership?.incarnation ?? Number.POSITIVE_INFINITY,
    );
    expect(ids(cluster)).toEqual(['a', 'b']);
    // The old run's silence no longer counts: b stays a member past its death time.
    await cluster.advance(1_000);
    expect(ids(cluster)).toEqual(['a', 'b']);
    expect(cluster.node('a').shard.membership.membership?.view.members.map((m) => m.id)).toEqual(['a', 'b']);
  });
});
