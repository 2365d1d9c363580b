/**
 * The client against an in-process test cluster (`createTestCluster`, memory transport, no worker pools):
 * function actors addressed by (type, id), timeouts and closing. Calls that run functions on the nodes' pools
 * are in test/integration/test-cluster-routing.test.ts.
 */
import { SimulatedClock } from '@lucent/actors/internal';
import { type ClusterView, defineFunction, fixedViewSource, functionSubject } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type LucentClient } from '../src/client/lucent-client.js';
import { createTestCluster, type TestCluster } from '../src/testing/test-cluster.js';
import type { TransportOptions } from '../src/transport/transport.js';
import { rejection } from './error-code.js';
import { viewOf } from './fixed-view.js';
import { counter } from './fixtures/counter-actor.js';

const ACTORS = [new URL('./fixtures/counter-actor.ts', import.meta.url)];
const audit = defineFunction({ name: 'audit' }, (_ctx, order: { sku: string }) => ({ audited: order.sku }));
const never = defineFunction({ name: 'never' }, () => new Promise<never>(() => {}));

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** A client on its own connection routing with `view` (`null`: none), e.g. a stale one. */
async function clientWith(
  c: TestCluster,
  view: ClusterView | null,
  options: TransportOptions = {},
): Promise<LucentClient> {
  const transport = await c.connect(options);
  return createClient(view === null ? { transport } : { transport, viewSource: fixedViewSource(view) });
}

/** Sum of the nodes' router forwards. */
const forwards = (c: TestCluster) => c.nodes.reduce((sum, node) => sum + node.shard.router.stats.forwarded, 0);

describe('client: function actors', () => {
  it('lands every message for one id on one node and keeps its state across 1000 messages', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], actors: ACTORS });
    const handle = cluster.client.actor(counter, 'c-7');
    for (let i = 0; i < 999; i++) handle.tell({ type: 'inc' });
    const context = await handle.ask({ type: 'inc' });
    expect(context.count).toBe(1000);
    const owner = cluster.view.ring.owner('counter/c-7');
    for (const node of cluster.nodes) {
      expect(node.shard.node.context.actors.activeCount).toBe(node.id === owner ? 1 : 0);
    }
    expect(forwards(cluster)).toBe(0);
  });

  it('keeps one activation per id even when a stale client view makes the messages go through a forward', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], actors: ACTORS });
    let id = '';
    for (let i = 0; id === ''; i++) if (cluster.view.ring.owner(`counter/k-${i}`) === 'c') id = `k-${i}`;
    const handle = (await clientWith(cluster, viewOf('a', 'b'))).actor(counter, id);
    for (let i = 0; i < 99; i++) handle.tell({ type: 'inc' });
    expect((await handle.ask({ type: 'get' })).count).toBe(99);
    expect(cluster.node('c').shard.node.context.actors.activeCount).toBe(1);
    expect(forwards(cluster)).toBe(100);
  });

  it('answers an unknown actor type with UnknownActorTypeError from the owner', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b'], actors: ACTORS });
    const handle = cluster.client.actor('ghost', 'g-1');
    const owner = cluster.view.ring.owner('ghost/g-1');
    expect(await rejection(handle.ask({ type: 'boo' }))).toEqual({ code: 'LUCENT_UNKNOWN_ACTOR_TYPE', origin: owner });
    const errors = () => errorCount(cluster as TestCluster, owner, 'LUCENT_UNKNOWN_ACTOR_TYPE');
    expect(await errors()).toBe(1);
    // A tell cannot be answered: the owner counts it as dropped (lucent_errors_total) instead.
    handle.tell({ type: 'boo' });
    await rejection(handle.ask({ type: 'boo' })); // sent after the tell on the same subject: the tell has landed
    expect(await errors()).toBe(3); // two asks answered, one tell dropped
  });

  it('cannot place actors without a view (RoutingError)', async () => {
    cluster = await createTestCluster({ nodes: ['a'], actors: ACTORS });
    const client = await clientWith(cluster, null);
    expect(() => client.actor(counter, 'x').tell({ type: 'inc' })).toThrow(
      expect.objectContaining({ code: 'LUCENT_ROUTING' }),
    );
    expect(await rejection(client.actor(counter, 'x').ask({ type: 'get' }))).toMatchObject({ code: 'LUCENT_ROUTING' });
  });

  it('rejects an empty actor id with ConfigError', async () => {
    cluster = await createTestCluster({ nodes: ['a'] });
    expect(() => cluster?.client.actor(counter, '')).toThrow(expect.objectContaining({ code: 'LUCENT_CONFIG' }));
  });
});

describe('client: timeouts and closing', () => {
  it('rejects with TimeoutError when no answer comes within timeoutMs (simulated clock)', async () => {
    cluster = await createTestCluster({ nodes: ['a'] });
    // A subscriber that takes the call and never answers.
    (await cluster.connect()).subscribe(functionSubject('lucent', 'never'), () => {}, { queue: 'lucent-fn' });
    const clock = new SimulatedClock();
    const client = await clientWith(cluster, cluster.view, { clock });
    const pending = rejection(client.call(never, null, { timeoutMs: 250 }));
    await cluster.bus?.idle();
    clock.advance(249);
    clock.advance(1);
    expect(await pending).toMatchObject({ code: 'LUCENT_TIMEOUT' });
  });

  it('rejects calls after close() with ShuttingDownError, without closing a transport it was given', async () => {
    cluster = await createTestCluster({ nodes: ['a'] });
    const client = await clientWith(cluster, cluster.view);
    await client.close();
    expect(await rejection(client.call(audit, { sku: 'x' }))).toMatchObject({ code: 'LUCENT_SHUTTING_DOWN' });
    expect(() => client.emit('OrderPlaced', {})).toThrow(expect.objectContaining({ code: 'LUCENT_SHUTTING_DOWN' }));
    expect(client.transport.isClosed).toBe(false);
  });
});

/** `lucent_errors_total{code}` of node `id`, read from its /metrics text. */
async function errorCount(c: TestCluster, id: string, code: string): Promise<number> {
  const text = await c.node(id).shard.node.metrics.text();
  const line = text.split('\n').find((l) => l.startsWith('lucent_errors_total{') && l.includes(`code="${code}"`));
  return Number(line?.split(' ').pop() ?? 0);
}
