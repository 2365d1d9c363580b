/**
 * createTestCluster on the in-memory transport: real shard nodes joined into one cluster, a client routing with
 * membership, graceful stop and simulated crash. Only what happens at once is asserted here (no waiting for
 * heartbeats to lapse: that is in test/integration/test-cluster.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestCluster, type TestCluster } from '../src/testing/test-cluster.js';
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

describe('createTestCluster (memory)', () => {
  it('starts real shard nodes, waits until all are members and routes each actor to its owner', async () => {
    cluster = await createTestCluster({ nodes: 3, actors: ACTORS });
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
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], actors: ACTORS });
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
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], actors: ACTORS });
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
    expect(await codeOfSettled(handle.ask({ type: 'get' }, { timeoutMs: 100 }))).toBe('LUCENT_NODE_UNAVAILABLE');
    // Durable by default: the acknowledged state was stored before the reply, so the crash lost none of it.
    expect((await cluster.store?.load('counter/crashed'))?.snapshot).toMatchObject({ context: { count: 3 } });
    expect(() => cluster?.node(owner)).toThrow(expect.objectContaining({ code: 'LUCENT_CONFIG' }));
  });

  it('startNode brings a stopped id back, and every view includes it again', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b'], actors: ACTORS });
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
    await expect(createTestCluster({ nodes: 1, actors: ['/no/such/module.js'] })).rejects.toMatchObject({
      code: 'LUCENT_CONFIG',
    });
    await expect(createTestCluster({ nodes: [] })).rejects.toMatchObject({ code: 'LUCENT_CONFIG' });
    await expect(createTestCluster({ nodes: ['x', 'x'] })).rejects.toMatchObject({ code: 'LUCENT_CONFIG' });
  });
});
