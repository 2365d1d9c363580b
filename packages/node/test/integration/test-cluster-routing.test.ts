/**
 * Routing on a test cluster of real shard nodes (`createTestCluster`): membership views, the router, and
 * functions running in each node's worker pool (the compiled `dist/pool/worker.js`: build first). Which node ran a
 * call is read from its pool's counters. Then the same cluster on a real nats-server, and crashes noticed by
 * membership after the dead window (real time).
 */
import {
  defineFunction,
  type Envelope,
  EnvelopeCodec,
  eventEnvelope,
  eventSubject,
  fixedViewSource,
  nodeSubject,
} from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type LucentClient } from '../../src/client/lucent-client.js';
import { findNatsServerBinary } from '../../src/testing/nats-server.js';
import { createTestCluster, type TestCluster } from '../../src/testing/test-cluster.js';
import { rejection } from '../error-code.js';
import { viewOf } from '../fixed-view.js';
import { counter } from '../fixtures/counter-actor.js';

const FUNCTIONS = [new URL('../fixtures/routing-functions.mjs', import.meta.url)];
const MATH = [new URL('../fixtures/math.mjs', import.meta.url)];
const ACTORS = [new URL('../fixtures/counter-actor.ts', import.meta.url)];
// Typed handles on the fixture's functions (a definition's body never runs on the client).
const balance = defineFunction(
  { name: 'balance', shardBy: 'account' },
  (_ctx, _input: { account: string; amount: number }): { account: string; doubled: number } => {
    throw new Error('runs on the nodes');
  },
);
const nested = defineFunction(
  { name: 'nested', shardBy: 'order.customer' },
  (_ctx, _input: { order: { customer: number } }): string => {
    throw new Error('runs on the nodes');
  },
);
const echo = defineFunction({ name: 'echo' }, (_ctx, input: unknown) => input);
const reserve = defineFunction(
  { name: 'reserve', handles: 'OrderPlaced', shardBy: 'sku' },
  (_ctx, _order: { sku: string; qty: number }) => ({}),
);
const audit = defineFunction({ name: 'audit', handles: ['OrderPlaced'] }, (_ctx, _order: { sku: string }) => ({}));

const codec = new EnvelopeCodec();
let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Calls node `id`'s worker pool ran. */
const ranOn = (c: TestCluster, id: string): number => c.node(id).shard.node.context.pool?.stats().calls ?? 0;
/** Sum of the nodes' router forwards. */
const forwards = (c: TestCluster) => c.nodes.reduce((sum, node) => sum + node.shard.router.stats.forwarded, 0);
/** How many of `keys` each node owns in the cluster's view. */
function owned(c: TestCluster, keys: readonly string[]): Map<string, number> {
  const counts = new Map(c.nodes.map((node) => [node.id, 0]));
  for (const key of keys) {
    const owner = c.view.ring.owner(key);
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  return counts;
}
/** A key whose owner in the cluster's view is `node`. */
function keyOwnedBy(c: TestCluster, node: string, prefix = 'acct'): string {
  for (let i = 0; i < 10_000; i++) if (c.view.ring.owner(`${prefix}-${i}`) === node) return `${prefix}-${i}`;
  throw new Error(`no key for ${node}`);
}
/** A client on its own connection routing with a fixed `view` (`null`: none). */
async function clientWith(c: TestCluster, view: ReturnType<typeof viewOf> | null): Promise<LucentClient> {
  const transport = await c.connect();
  return createClient(view === null ? { transport } : { transport, viewSource: fixedViewSource(view) });
}
/** Resolves with the first `count` envelopes published to event `type`. */
async function collectEvents(c: TestCluster, type: string, count: number): Promise<Envelope[]> {
  const transport = await c.connect();
  const got: Envelope[] = [];
  return new Promise((resolve) => {
    transport.subscribe(eventSubject('lucent', type), (frame) => {
      got.push(codec.decode(frame));
      if (got.length === count) resolve(got);
    });
  });
}

describe('test cluster routing: placement', () => {
  it('runs a keyed call on the ring owner of its shard key, without forwards when views agree', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], functions: FUNCTIONS });
    const accounts = Array.from({ length: 30 }, (_, i) => `acct-${i}`);
    const results = await Promise.all(
      accounts.map((account, i) => cluster?.client.call(balance, { account, amount: i })),
    );
    expect(results.map((r) => r?.doubled)).toEqual(accounts.map((_, i) => i * 2));
    const expected = owned(cluster, accounts);
    for (const node of cluster.nodes) expect(ranOn(cluster, node.id)).toBe(expected.get(node.id));
    // Keys spread: more than one node served them.
    expect([...expected.values()].filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(forwards(cluster)).toBe(0);
  });

  it('over nats-server, owners serve keyed calls placed under their own tag unplaced; a stale view is forwarded', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], transport: 'nats', functions: FUNCTIONS });
    const accounts = Array.from({ length: 30 }, (_, i) => `acct-${i}`);
    await Promise.all(accounts.map((account) => cluster?.client.call(balance, { account, amount: 1 })));
    const expected = owned(cluster, accounts);
    // Client and nodes built their views from the same heartbeats: same tag, so every owner skipped re-placing.
    for (const node of cluster.nodes) {
      expect(node.shard.router.stats.placedHere).toBe(expected.get(node.id));
      expect(ranOn(cluster, node.id)).toBe(expected.get(node.id));
    }
    expect(forwards(cluster)).toBe(0);
    const account = keyOwnedBy(cluster, 'c');
    const stale = await clientWith(cluster, viewOf('a', 'b'));
    expect(await stale.call(balance, { account, amount: 5 })).toEqual({ account, doubled: 10 });
    expect(forwards(cluster)).toBe(1);
    expect(cluster.nodes.reduce((sum, node) => sum + node.shard.router.stats.placedHere, 0)).toBe(30);
  });

  it('routes by a nested shardBy path, numbers as strings', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], functions: FUNCTIONS });
    expect(await cluster.client.call(nested, { order: { customer: 42 } })).toBe('42');
    for (const node of cluster.nodes) {
      expect(ranOn(cluster, node.id)).toBe(node.id === cluster.view.ring.owner('42') ? 1 : 0);
    }
  });

  it('a client with a stale view (missing a member) still gets the answer, through exactly one forward', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], functions: FUNCTIONS });
    const account = keyOwnedBy(cluster, 'c');
    const stale = viewOf('a', 'b');
    const client = await clientWith(cluster, stale);
    expect(await client.call(balance, { account, amount: 5 })).toEqual({ account, doubled: 10 });
    expect([ranOn(cluster, 'a'), ranOn(cluster, 'b'), ranOn(cluster, 'c')]).toEqual([0, 0, 1]);
    expect(forwards(cluster)).toBe(1);
    expect(cluster.node(stale.ring.owner(account)).shard.router.stats.forwarded).toBe(1);
  });

  it('a keyed call by name goes to the queue group and is forwarded to its owner when it lands elsewhere', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], functions: FUNCTIONS });
    const accounts = Array.from({ length: 12 }, (_, i) => `by-name-${i}`);
    const client = cluster.client;
    const results = await Promise.all(
      accounts.map((account) => client.call<{ doubled: number }>('balance', { account, amount: 1 })),
    );
    expect(results.every((r) => r.doubled === 2)).toBe(true);
    const expected = owned(cluster, accounts);
    for (const node of cluster.nodes) expect(ranOn(cluster, node.id)).toBe(expected.get(node.id));
    // Round-robin over three members: a third of the messages land on the owner, the rest forward.
    expect(forwards(cluster)).toBeGreaterThan(0);
  });

  it('serves an unkeyed call wherever it lands (queue group), never forwarding', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b'], functions: FUNCTIONS });
    for (let i = 0; i < 4; i++) expect(await cluster.client.call(echo, { i })).toEqual({ i });
    expect(ranOn(cluster, 'a')).toBeGreaterThan(0);
    expect(ranOn(cluster, 'b')).toBeGreaterThan(0);
    expect(forwards(cluster)).toBe(0);
  });

  it('honours a configured hop limit of 0: the first non-owner refuses', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b'], functions: FUNCTIONS, hopLimit: 0 });
    const client = await clientWith(cluster, viewOf('a'));
    expect(await rejection(client.call(balance, { account: keyOwnedBy(cluster, 'b'), amount: 1 }))).toEqual({
      code: 'LUCENT_HOP_LIMIT',
      origin: 'a',
    });
  });

  it('calls functions through the queue group without a view (but cannot place actors)', async () => {
    cluster = await createTestCluster({ nodes: ['a'], functions: FUNCTIONS, actors: ACTORS });
    const client = await clientWith(cluster, null);
    expect(() => client.actor(counter, 'x').tell({ type: 'inc' })).toThrow(
      expect.objectContaining({ code: 'LUCENT_ROUTING' }),
    );
    expect(await client.call(audit, { sku: 's' })).toEqual({ audited: 's' });
  });
});

describe('test cluster routing: events', () => {
  it('emit stores the event; every handler runs once in the cluster and publishes its Completed event', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], functions: FUNCTIONS });
    const reserved = collectEvents(cluster, 'reserveCompleted', 3);
    const audited = collectEvents(cluster, 'auditCompleted', 3);
    // Let the event subscriptions reach the bus before emitting.
    await cluster.bus?.idle();
    const skus = ['sku-1', 'sku-2', 'sku-3'];
    for (const sku of skus) await cluster.client.emit('OrderPlaced', { sku, qty: 2 });
    const reservedEvents = await reserved;
    expect(
      reservedEvents
        .map((e) => e.payload)
        .sort((x, y) => String((x as { sku: string }).sku).localeCompare((y as { sku: string }).sku)),
    ).toEqual(skus.map((sku) => ({ sku, reserved: 2 })));
    // Durable consumers run a handler on the node that pulled the delivery (not the key's owner).
    for (const event of reservedEvents) expect(['a', 'b', 'c']).toContain(event.origin);
    expect((await audited).map((e) => (e.payload as { audited: string }).audited).sort()).toEqual(skus);
    // Three reserve runs and three audit runs, no more.
    expect(cluster.nodes.reduce((sum, node) => sum + ranOn(cluster as TestCluster, node.id), 0)).toBe(6);
  });

  it('a forwarded keyed handler runs alone on the owner: the other handlers do not run twice', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b'], functions: FUNCTIONS });
    const sku = keyOwnedBy(cluster, 'b', 's');
    const done = collectEvents(cluster, 'reserveCompleted', 1);
    const audited = collectEvents(cluster, 'auditCompleted', 1);
    // Straight to a's direct subject: a runs audit and forwards reserve to b.
    (await cluster.connect()).send(
      nodeSubject('lucent', 'a'),
      codec.encode(eventEnvelope('OrderPlaced', { sku, qty: 1 })),
    );
    expect((await done)[0]?.origin).toBe('b');
    expect((await audited)[0]?.origin).toBe('a');
    expect([ranOn(cluster, 'a'), ranOn(cluster, 'b')]).toEqual([1, 1]);
    expect(cluster.node('a').shard.router.stats.forwarded).toBe(1);
  });
});

describe('test cluster routing: failures', () => {
  it('calls, handler errors and Lucent errors travel through piscina workers and back', async () => {
    cluster = await createTestCluster({ nodes: ['p'], functions: MATH });
    const client = cluster.client;
    const sums = await Promise.all([1, 2, 3].map((x) => client.call<number>('addOne', x)));
    expect(sums).toEqual([2, 3, 4]);
    expect(await client.call('greet@1', 'ann')).toBe('hello ann');
    expect(await rejection(client.call('sqrtOrThrow', -1))).toEqual({ code: 'LUCENT_HANDLER', origin: 'p' });
    expect(await rejection(client.call('conflict', 'k'))).toEqual({ code: 'LUCENT_CONFLICT', origin: 'p' });
    expect(ranOn(cluster, 'p')).toBe(6);
  });

  it('rejects a call by name that no node serves with UnknownFunctionError at once; a killed owner costs a retry, not an error', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b'], functions: FUNCTIONS });
    const client = cluster.client;
    // Real timers and a long timeout: only the bus's no-responders notice can end these calls in time.
    const unknown = await client.call('noSuchFunction', { sku: 'x' }, { timeoutMs: 60_000 }).catch((e) => e);
    expect(unknown).toMatchObject({ code: 'LUCENT_UNKNOWN_FUNCTION', details: { name: 'noSuchFunction' } });
    // The view still lists the killed node (no leave): its subject has no subscriber.
    const owner = cluster.view.ring.owner('x');
    await cluster.killNode(owner);
    // Issue 12: the client retries the pure call on the survivor (which runs it itself: the owner it would forward
    // to has no subscriber), instead of failing it with NodeUnavailableError.
    const served = await client.call(reserve, { sku: 'x', qty: 1 }, { timeoutMs: 60_000 });
    expect(served).toMatchObject({ sku: 'x', reserved: 1 });
    expect(client.retries(reserve, 'node_unavailable')).toBe(1);
    // A policy without retries still gets the node's error at once.
    const once = defineFunction(
      { name: 'reserve', shardBy: 'sku', retry: { maxAttempts: 1 } },
      (_ctx, _o: { sku: string; qty: number }) => ({}),
    );
    const gone = await client.call(once, { sku: 'x', qty: 1 }, { timeoutMs: 60_000 }).catch((e) => e);
    expect(gone).toMatchObject({ code: 'LUCENT_NODE_UNAVAILABLE', details: { node: nodeSubject('lucent', owner) } });
  });

  it('a killed node is declared dead after the dead window, and its keys move to the others', async () => {
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], functions: FUNCTIONS, heartbeatIntervalMs: 100 });
    const account = keyOwnedBy(cluster, 'b');
    await cluster.killNode('b');
    expect(cluster.view.members.map((m) => m.id)).toContain('b');
    const view = await cluster.waitForView((v) => !v.members.some((m) => m.id === 'b'));
    expect(view.members.map((m) => m.id)).toEqual(['a', 'c']);
    expect(await cluster.client.call(balance, { account, amount: 2 })).toEqual({ account, doubled: 4 });
  });
});

const hasNats = (() => {
  try {
    findNatsServerBinary();
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasNats)('test cluster on nats-server', () => {
  it('runs functions and actors on a real nats-server, and moves a killed node’s actor once its lease lapses', async () => {
    cluster = await createTestCluster({ nodes: 3, transport: 'nats', functions: FUNCTIONS, actors: ACTORS });
    expect(cluster.servers).toHaveLength(1);
    expect(cluster.view.members.map((m) => m.id)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(await cluster.client.call(balance, { account: 'n-1', amount: 3 })).toEqual({ account: 'n-1', doubled: 6 });
    const handle = cluster.client.actor(counter, 'on-nats');
    for (let i = 0; i < 4; i++) handle.tell({ type: 'inc' });
    expect((await handle.ask({ type: 'get' })).count).toBe(4);
    const owner = cluster.view.ring.owner('counter/on-nats');
    // Graceful: the next owner continues from the final save.
    await cluster.stopNode(owner);
    expect((await handle.ask({ type: 'inc' })).count).toBe(5);
    // A crash: the lease is taken over once membership declares the node dead.
    const second = cluster.view.ring.owner('counter/on-nats');
    await cluster.killNode(second);
    await cluster.waitForView((v) => !v.members.some((m) => m.id === second));
    // The last increment was acknowledged, so it was stored (durable by default): the new owner loads it.
    expect((await handle.ask({ type: 'get' }, { timeoutMs: 10_000 })).count).toBe(5);
  });
});
