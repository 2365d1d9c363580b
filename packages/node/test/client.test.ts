/**
 * The client against an in-process cluster: function actors addressed by (type, id), events and their
 * `Completed` events, timeouts, closing, and one cluster whose node runs calls on the real piscina pool.
 */
import { defineActor, SimulatedClock } from '@lucent/actors';
import {
  createRegistry,
  defineFunction,
  type Envelope,
  EnvelopeCodec,
  eventEnvelope,
  eventSubject,
  nodeSubject,
} from '@lucent/core';
import { afterEach, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { createFunctionPool, type FunctionPool } from '../src/pool/function-pool.js';
import { rejection, TestCluster, viewOf } from './router-test-cluster.js';

type CounterEvent = { type: 'inc' } | { type: 'get' };
const counterMachine = setup({ types: { context: {} as { count: number }, events: {} as CounterEvent } }).createMachine(
  {
    context: { count: 0 },
    on: { inc: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
  },
);
const counter = defineActor({ type: 'counter', machine: counterMachine });

const reserve = defineFunction(
  { name: 'reserve', handles: 'OrderPlaced', shardBy: 'sku' },
  (_ctx, order: { sku: string; qty: number }) => ({ sku: order.sku, reserved: order.qty }),
);
const audit = defineFunction({ name: 'audit', handles: ['OrderPlaced'] }, (_ctx, order: { sku: string }) => ({
  audited: order.sku,
}));
const never = defineFunction({ name: 'never' }, () => new Promise<never>(() => {}));

const codec = new EnvelopeCodec();
let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Resolves with the first `count` envelopes published to event `type`. */
function collectEvents(c: TestCluster, type: string, count: number): Promise<Envelope[]> {
  const got: Envelope[] = [];
  return new Promise((resolve) => {
    c.connect().subscribe(eventSubject('lucent', type), (frame) => {
      got.push(codec.decode(frame));
      if (got.length === count) resolve(got);
    });
  });
}

describe('client: function actors', () => {
  it('lands every message for one id on one node and keeps its state across 1000 messages', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b', 'c'], actors: [counter] });
    const client = cluster.client();
    const handle = client.actor(counter, 'c-7');
    for (let i = 0; i < 999; i++) handle.tell({ type: 'inc' });
    const context = await handle.ask({ type: 'inc' });
    expect(context.count).toBe(1000);
    const owner = cluster.fullView.ring.owner('counter/c-7');
    for (const node of cluster.nodes.values()) {
      expect(node.actors.activeCount).toBe(node.id === owner ? 1 : 0);
    }
    expect(cluster.forwards).toBe(0);
  });

  it('keeps one activation per id even when a stale client view makes the messages go through a forward', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b', 'c'], actors: [counter] });
    let id = '';
    for (let i = 0; id === ''; i++) if (cluster.fullView.ring.owner(`counter/k-${i}`) === 'c') id = `k-${i}`;
    const handle = cluster.client(viewOf('a', 'b')).actor(counter, id);
    for (let i = 0; i < 99; i++) handle.tell({ type: 'inc' });
    expect((await handle.ask({ type: 'get' })).count).toBe(99);
    expect(cluster.node('c').actors.activeCount).toBe(1);
    expect(cluster.forwards).toBe(100);
  });

  it('answers an unknown actor type with UnknownActorTypeError from the owner', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b'], actors: [counter] });
    const handle = cluster.client().actor('ghost', 'g-1');
    const owner = cluster.fullView.ring.owner('ghost/g-1');
    expect(await rejection(handle.ask({ type: 'boo' }))).toEqual({ code: 'LUCENT_UNKNOWN_ACTOR_TYPE', origin: owner });
    // A tell cannot be answered: the owner reports it to its observer instead.
    handle.tell({ type: 'boo' });
    await rejection(handle.ask({ type: 'boo' })); // sent after the tell on the same subject: the tell has landed
    expect(cluster.node(owner).dropped.map((d) => d.error.code)).toContain('LUCENT_UNKNOWN_ACTOR_TYPE');
  });

  it('cannot place actors without a view (RoutingError), but still calls functions through the queue group', async () => {
    cluster = new TestCluster({ nodes: ['a'], actors: [counter], functions: [audit] });
    const client = cluster.client(null);
    expect(() => client.actor(counter, 'x').tell({ type: 'inc' })).toThrow(
      expect.objectContaining({ code: 'LUCENT_ROUTING' }),
    );
    expect(await rejection(client.actor(counter, 'x').ask({ type: 'get' }))).toMatchObject({ code: 'LUCENT_ROUTING' });
    expect(await client.call(audit, { sku: 's' })).toEqual({ audited: 's' });
  });

  it('rejects an empty actor id with ConfigError', () => {
    cluster = new TestCluster({ nodes: ['a'] });
    expect(() => cluster?.client().actor(counter, '')).toThrow(expect.objectContaining({ code: 'LUCENT_CONFIG' }));
  });
});

describe('client: events', () => {
  it('emit runs every handler once (keyed ones on their owner) and publishes their Completed events', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b', 'c'], functions: [reserve, audit] });
    const reserved = collectEvents(cluster, 'reserveCompleted', 3);
    const audited = collectEvents(cluster, 'auditCompleted', 3);
    const client = cluster.client();
    const skus = ['sku-1', 'sku-2', 'sku-3'];
    for (const sku of skus) client.emit('OrderPlaced', { sku, qty: 2 });
    const reservedEvents = await reserved;
    expect(
      reservedEvents
        .map((e) => e.payload)
        .sort((x, y) => String((x as { sku: string }).sku).localeCompare((y as { sku: string }).sku)),
    ).toEqual(skus.map((sku) => ({ sku, reserved: 2 })));
    for (const event of reservedEvents) {
      expect(event.origin).toBe(cluster.fullView.ring.owner((event.payload as { sku: string }).sku));
    }
    expect((await audited).map((e) => (e.payload as { audited: string }).audited).sort()).toEqual(skus);
    expect(cluster.ranOn('reserve')).toHaveLength(3);
    expect(cluster.ranOn('audit')).toHaveLength(3);
    for (const run of cluster.runs.filter((r) => r.name.startsWith('reserve'))) {
      expect(run.node).toBe(cluster.fullView.ring.owner((run.input as { sku: string }).sku));
    }
  });

  it('a forwarded keyed handler runs alone on the owner: the other handlers do not run twice', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b'], functions: [reserve, audit] });
    let sku = '';
    for (let i = 0; sku === ''; i++) if (cluster.fullView.ring.owner(`s-${i}`) === 'b') sku = `s-${i}`;
    const done = collectEvents(cluster, 'reserveCompleted', 1);
    const audited = collectEvents(cluster, 'auditCompleted', 1);
    // Straight to a's direct subject: a runs audit and forwards reserve to b.
    cluster.connect().send(nodeSubject('lucent', 'a'), codec.encode(eventEnvelope('OrderPlaced', { sku, qty: 1 })));
    expect((await done)[0]?.origin).toBe('b');
    expect((await audited)[0]?.origin).toBe('a');
    expect(cluster.ranOn('reserve')).toEqual(['b']);
    expect(cluster.ranOn('audit')).toEqual(['a']);
    expect(cluster.node('a').handler.stats.forwarded).toBe(1);
  });
});

describe('client: timeouts and closing', () => {
  it('rejects with TimeoutError when no answer comes within timeoutMs (simulated clock)', async () => {
    cluster = new TestCluster({ nodes: ['a'], functions: [never] });
    const clock = new SimulatedClock();
    const client = cluster.client(cluster.fullView, { clock });
    const pending = rejection(client.call(never, null, { timeoutMs: 250 }));
    await cluster.bus.idle();
    clock.advance(249);
    clock.advance(1);
    expect(await pending).toMatchObject({ code: 'LUCENT_TIMEOUT' });
  });

  it('rejects a call by name that no node serves with UnknownFunctionError at once, and a gone owner with NodeUnavailableError', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b'], functions: [audit, reserve] });
    const client = cluster.client();
    // Real timers and a long timeout: only the bus's no-responders notice can end these calls in time.
    const unknown = await client.call('noSuchFunction', { sku: 'x' }, { timeoutMs: 60_000 }).catch((e) => e);
    expect(unknown).toMatchObject({ code: 'LUCENT_UNKNOWN_FUNCTION', details: { name: 'noSuchFunction' } });
    // A view that still lists a node whose connection is gone: the owner's subject has no subscriber.
    const owner = cluster.fullView.ring.owner('x');
    await cluster.node(owner).transport.close();
    const gone = await client.call(reserve, { sku: 'x', qty: 1 }, { timeoutMs: 60_000 }).catch((e) => e);
    expect(gone).toMatchObject({ code: 'LUCENT_NODE_UNAVAILABLE', details: { node: nodeSubject('lucent', owner) } });
  });

  it('rejects calls after close() with ShuttingDownError, without closing a transport it was given', async () => {
    cluster = new TestCluster({ nodes: ['a'], functions: [audit] });
    const client = cluster.client();
    await client.close();
    expect(await rejection(client.call(audit, { sku: 'x' }))).toMatchObject({ code: 'LUCENT_SHUTTING_DOWN' });
    expect(() => client.emit('OrderPlaced', {})).toThrow(expect.objectContaining({ code: 'LUCENT_SHUTTING_DOWN' }));
    expect(client.transport.isClosed).toBe(false);
  });
});

describe('client: a node running calls on the real pool', () => {
  let pool: FunctionPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('calls, handler errors and Lucent errors travel through piscina workers and back', async () => {
    const MATH = new URL('./fixtures/math.mjs', import.meta.url);
    pool = await createFunctionPool({ modules: [MATH], threads: 1 });
    const registry = createRegistry();
    registry.addModule((await import(MATH.href)) as object);
    const running = pool;
    cluster = new TestCluster({ nodes: ['p'], functions: registry.list(), runnerOf: () => running });
    const client = cluster.client();
    const sums = await Promise.all([1, 2, 3].map((x) => client.call<number>('addOne', x)));
    expect(sums).toEqual([2, 3, 4]);
    expect(await client.call('greet@1', 'ann')).toBe('hello ann');
    expect(await rejection(client.call('sqrtOrThrow', -1))).toEqual({ code: 'LUCENT_HANDLER', origin: 'p' });
    expect(await rejection(client.call('conflict', 'k'))).toEqual({ code: 'LUCENT_CONFLICT', origin: 'p' });
    expect(pool.stats().calls).toBe(6);
  });
});
