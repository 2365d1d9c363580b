/**
 * ShardNode in process, on the in-memory transport: HTTP endpoints, the router as the node's request handler,
 * the extension and view seams, readiness and graceful shutdown. Uses the real function pool (build the package first:
 * `npx tsc -b packages/node`, for the pool's worker entry).
 */
import { fileURLToPath } from 'node:url';
import { MemoryStateStore, type StateStore } from '@lucent/actors/internal';
import {
  askEnvelope,
  callEnvelope,
  type Envelope,
  EnvelopeCodec,
  EnvelopeKind,
  fixedViewSource,
  functionSubject,
  nodeSubject,
  tellEnvelope,
  type WireError,
} from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultNodeConfig, type NodeConfig } from '../../src/config/node-config.js';
import { DEFAULT_LOG_LIMIT } from '../../src/log-throttle.js';
import type { ShardExtension } from '../../src/shard/shard-context.js';
import { ShardNode, type ShardNodeOptions } from '../../src/shard/shard-node.js';
import { freePort } from '../../src/testing/nats-server.js';
import { InMemoryBus } from '../../src/transport/in-memory-bus.js';
import { InMemoryTransport } from '../../src/transport/in-memory-transport.js';
import { viewOf } from '../fixed-view.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const codec = new EnvelopeCodec();
const started: ShardNode[] = [];
const transports: InMemoryTransport[] = [];

function config(overrides: Partial<NodeConfig> = {}): NodeConfig {
  return {
    ...defaultNodeConfig({ cpuCount: 1 }),
    shard: 'n1',
    httpPort: 0,
    threads: 1,
    drainTimeoutMs: 2_000,
    functions: [fixture('shard-functions.mjs')],
    actors: [fixture('shard-actors.mjs')],
    ...overrides,
  };
}

interface Started {
  readonly node: ShardNode;
  readonly bus: InMemoryBus;
  readonly logs: Record<string, unknown>[];
  readonly client: InMemoryTransport;
}

async function startNode(overrides: Partial<NodeConfig> = {}, extra: Partial<ShardNodeOptions> = {}): Promise<Started> {
  const bus = extra.bus ?? new InMemoryBus();
  const logs: Record<string, unknown>[] = [];
  const node = await ShardNode.start({
    config: config(overrides),
    bus,
    httpHost: '127.0.0.1',
    processMetrics: false,
    logDestination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
    ...extra,
  });
  started.push(node);
  const client = new InMemoryTransport(bus);
  transports.push(client);
  return { node, bus, logs, client };
}

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, body: await response.text() };
}

async function request(client: InMemoryTransport, subject: string, envelope: Envelope | Uint8Array): Promise<Envelope> {
  const frame = envelope instanceof Uint8Array ? envelope : codec.encode(envelope);
  return codec.decode(await client.request(subject, frame, 5_000));
}

const errorCode = (answer: Envelope) => {
  expect(answer.kind).toBe(EnvelopeKind.Error);
  return (answer.payload as WireError).code;
};

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(started.splice(0).map((n) => n.shutdown('test end')));
});

describe('ShardNode HTTP endpoints', () => {
  it('serves /healthz, /readyz and /metrics once started, and logs node.ready with the bound port', async () => {
    const { node, logs } = await startNode();
    expect(node.isReady).toBe(true);
    expect(node.httpPort).toBeGreaterThan(0);
    const health = await get(node.httpPort, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', ready: true, errorRate: 0, requests: 0 });
    expect(await get(node.httpPort, '/readyz')).toEqual({ status: 200, body: '{"status":"ready"}\n' });
    const metrics = await get(node.httpPort, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('lucent_calls_total{function="add",outcome="ok",node="n1"} 0');
    expect(metrics.body).toContain('lucent_active_actors{node="n1"} 0');
    expect((await get(node.httpPort, '/nope')).status).toBe(404);
    expect((await get(node.httpPort, '/readyz', 'POST')).status).toBe(405);
    const ready = logs.find((line) => line.msg === 'node.ready');
    expect(ready).toMatchObject({ node: 'n1', shard: 'n1', httpPort: node.httpPort, transport: 'memory' });
    expect(ready?.functions).toEqual(['add', 'sleepy']);
    expect(ready?.actorTypes).toEqual(['counter']);
  });

  it('answers /readyz 503 while an extension is still starting, 200 after, 503 once shutdown begins', async () => {
    const port = await freePort();
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let readyDuringShutdown: number | undefined;
    const membership: ShardExtension = {
      name: 'membership',
      start: () => gate,
      beginShutdown: async () => {
        readyDuringShutdown = (await get(port, '/readyz')).status;
      },
    };
    const starting = startNode({ httpPort: port }, { extensions: [membership] });
    // The HTTP server is up before the extension finishes; poll until it answers (bounded).
    let health = 0;
    for (let i = 0; i < 200 && health !== 200; i++) {
      health = await get(port, '/healthz').then(
        (r) => r.status,
        () => 0,
      );
      if (health !== 200) await new Promise((r) => setTimeout(r, 10));
    }
    expect(health).toBe(200);
    expect((await get(port, '/readyz')).status).toBe(503);
    release();
    const { node } = await starting;
    expect((await get(port, '/readyz')).status).toBe(200);
    await node.shutdown();
    expect(readyDuringShutdown).toBe(503);
  });

  it('rejects start with ConfigError (field httpPort) when the port is taken, closing what it opened', async () => {
    const { node } = await startNode();
    const error = await startNode({ shard: 'n2', httpPort: node.httpPort }).catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe('LUCENT_CONFIG');
    expect((error as { details: { field: string } }).details.field).toBe('httpPort');
  });

  it('rejects start with ConfigError (field actors) for a module without actor definitions', async () => {
    const error = await startNode({ actors: [fixture('shard-no-actors.mjs')], functions: [] }).catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe('LUCENT_CONFIG');
    expect((error as { details: { field: string } }).details.field).toBe('actors');
  });
});

describe('ShardNode request handling (the router)', () => {
  it('runs calls on the pool, via the node subject and the function queue group', async () => {
    const { node, client } = await startNode();
    const direct = callEnvelope('add', { a: 1, b: 2 }, { origin: 'client' });
    const answer = await request(client, nodeSubject('lucent', 'n1'), direct);
    expect(answer).toMatchObject({ kind: EnvelopeKind.Reply, payload: 3, correlationId: direct.id, origin: 'n1' });
    const viaQueue = await request(client, functionSubject('lucent', 'add'), callEnvelope('add', { a: 2, b: 2 }));
    expect(viaQueue.payload).toBe(4);
    const text = await node.metrics.text();
    expect(text).toContain('lucent_calls_total{function="add",outcome="ok",node="n1"} 2');
  });

  it('rate-limits the warnings a flood of unframed garbage causes, and keeps serving', async () => {
    const { node, bus, logs, client } = await startNode();
    const subject = nodeSubject('lucent', node.config.shard);
    for (let i = 0; i < 200; i++) bus.publish(subject, new Uint8Array([0xff, 0xff, 0xff, i & 0xff]));
    await bus.idle();
    const warnings = logs.filter((line) => line.msg === 'transport.subscription_error');
    expect(warnings.length).toBe(DEFAULT_LOG_LIMIT);
    // Metrics still count every one.
    expect(await node.metrics.text()).toContain('lucent_errors_total{code="LUCENT_DECODE",node="n1"} 200');
    const answer = await request(client, subject, callEnvelope('noSuchFunction', 1));
    expect(errorCode(answer)).toBe('LUCENT_UNKNOWN_FUNCTION');
  });

  it('answers with typed error envelopes: unknown function, handler failure, garbage bytes, unknown kind', async () => {
    const { node, client } = await startNode();
    const subject = nodeSubject('lucent', 'n1');
    const unknown = callEnvelope('nope', 1);
    const answer = await request(client, subject, unknown);
    expect(errorCode(answer)).toBe('LUCENT_UNKNOWN_FUNCTION');
    expect(answer.correlationId).toBe(unknown.id);
    expect(errorCode(await request(client, subject, callEnvelope('add', null)))).toBe('LUCENT_HANDLER');
    const garbage = await request(client, subject, new Uint8Array([1, 2, 3]));
    expect(errorCode(garbage)).toBe('LUCENT_DECODE');
    expect(garbage.correlationId).toBe('');
    const reply = codec.encode({ ...callEnvelope('x', 1), kind: EnvelopeKind.Reply });
    expect(errorCode(await request(client, subject, reply))).toBe('LUCENT_ROUTING');
    const text = await node.metrics.text();
    expect(text).toContain('lucent_calls_total{function="add",outcome="error",node="n1"} 1');
    expect(text).toContain('lucent_errors_total{code="LUCENT_DECODE",node="n1"} 1');
    expect(text).toContain('lucent_errors_total{code="LUCENT_UNKNOWN_FUNCTION",node="n1"} 1');
  });

  it('answers an awaited tell only once the actor state it produced is stored (durable default)', async () => {
    const memory = new MemoryStateStore();
    let release: (() => void) | undefined;
    let holding = false;
    // A store whose saves wait for `release` while `holding`: a slow KV.
    const slow: StateStore = {
      load: (key) => memory.load(key),
      delete: (key) => memory.delete(key),
      save: async (key, snapshot, revision) => {
        if (holding) await new Promise<void>((resolve) => (release = resolve));
        return memory.save(key, snapshot, revision);
      },
    };
    const { client } = await startNode({}, { store: async () => slow });
    const subject = nodeSubject('lucent', 'n1');
    holding = true;
    let answered = false;
    const answer = request(client, subject, tellEnvelope('counter/t1', { type: 'inc', by: 2 })).then((a) => {
      answered = true;
      return a;
    });
    for (let i = 0; i < 50 && release === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(release).toBeDefined(); // the save started
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    holding = false;
    release?.();
    expect(await answer).toMatchObject({ kind: EnvelopeKind.Reply, payload: null });
    expect((await memory.load('counter/t1'))?.snapshot).toMatchObject({ context: { count: 2 } });
  });

  it('serves actor asks and tells, and reports unknown actor types', async () => {
    const { node, client } = await startNode();
    const subject = nodeSubject('lucent', 'n1');
    client.send(subject, codec.encode(tellEnvelope('counter/c1', { type: 'inc', by: 5 })));
    const answer = await request(client, subject, askEnvelope('counter/c1', { type: 'inc' }));
    expect(answer.kind).toBe(EnvelopeKind.Reply);
    expect(answer.payload).toEqual({ count: 6 });
    expect(node.context.actors.activeCount).toBe(1);
    expect(await node.metrics.text()).toContain('lucent_active_actors{node="n1"} 1');
    expect(errorCode(await request(client, subject, askEnvelope('ghost/1', { type: 'inc' })))).toBe(
      'LUCENT_UNKNOWN_ACTOR_TYPE',
    );
  });

  it('finishes in-flight calls during shutdown before closing the transport', async () => {
    const { node, client } = await startNode();
    const pending = request(client, nodeSubject('lucent', 'n1'), callEnvelope('sleepy', { ms: 200, value: 'late' }));
    // Let the call reach the handler before shutting down.
    for (let i = 0; i < 100 && node.context.pool!.stats().calls === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const stopping = node.shutdown('test');
    expect(node.isReady).toBe(false);
    expect((await pending).payload).toBe('late');
    await stopping;
  });
});

describe('ShardNode seams', () => {
  it('loads the function registry once into the context, and the router serves it and counts what it served', async () => {
    const { node, client } = await startNode();
    expect(node.context.functions.list().map((definition) => definition.id)).toEqual(['add@1', 'sleepy@1']);
    expect([...node.context.pool!.functions].sort()).toEqual(['add', 'add@1', 'sleepy', 'sleepy@1']);
    await request(client, nodeSubject('lucent', 'n1'), callEnvelope('add', { a: 1, b: 1 }));
    expect(node.router.stats).toMatchObject({ received: 1, succeeded: 1, forwarded: 0 });
  });

  it('rejects start with ConfigError (field functions) when a function module does not load', async () => {
    const error = await startNode({ functions: [fixture('no-such-module.mjs')] }).catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe('LUCENT_CONFIG');
    expect((error as { details: { field: string } }).details.field).toBe('functions');
  });

  it('routes with the view it is given: a key owned by another node is forwarded there', async () => {
    const bus = new InMemoryBus();
    const view = fixedViewSource(viewOf('a', 'b'));
    let key = 'counter/0';
    for (let i = 1; view.current()?.ring.owner(key) !== 'b'; i++) key = `counter/${i}`;
    const { node: a, client } = await startNode({ shard: 'a' }, { bus, view });
    const { node: b } = await startNode({ shard: 'b' }, { bus, view });
    const answer = await request(client, nodeSubject('lucent', 'a'), askEnvelope(key, { type: 'inc' }));
    expect(answer).toMatchObject({ kind: EnvelopeKind.Reply, payload: { count: 1 }, origin: 'b' });
    expect(a.router.stats.forwarded).toBe(1);
    expect(b.context.actors.activeCount).toBe(1);
  });

  it('refuses to forward past hopLimit with HopLimitError', async () => {
    const view = fixedViewSource(viewOf('a', 'b'));
    let key = 'counter/0';
    for (let i = 1; view.current()?.ring.owner(key) !== 'b'; i++) key = `counter/${i}`;
    const { client } = await startNode({ shard: 'a' }, { view, hopLimit: 0 });
    expect(errorCode(await request(client, nodeSubject('lucent', 'a'), askEnvelope(key, { type: 'inc' })))).toBe(
      'LUCENT_HOP_LIMIT',
    );
  });

  it('unsubscribes the router at shutdown: nobody answers on its subjects any more', async () => {
    const { node, client } = await startNode();
    await node.shutdown();
    const missed = await client
      .request(nodeSubject('lucent', 'n1'), codec.encode(callEnvelope('add', { a: 1, b: 1 })), 1_000)
      .catch((e: { code: string }) => e.code);
    expect(missed).toBe('LUCENT_NODE_UNAVAILABLE');
    expect(node.context.transport.isClosed).toBe(true);
  });

  it('bounds a drain that never finishes by drainTimeoutMs, then still stops everything', async () => {
    const stopped: string[] = [];
    const { node, logs, client } = await startNode(
      { drainTimeoutMs: 50 },
      { extensions: [{ name: 'x', start: () => {}, stop: () => void stopped.push('x') }] },
    );
    const pending = request(client, nodeSubject('lucent', 'n1'), callEnvelope('sleepy', { ms: 10_000, value: 'x' }));
    // Let the call reach the router before shutting down.
    for (let i = 0; i < 100 && node.router.inFlight === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(node.router.inFlight).toBe(1);
    await node.shutdown();
    expect(stopped).toEqual(['x']);
    expect(logs.map((l) => l.msg)).toContain('node.drain_timeout');
    expect(logs.at(-1)?.msg).toBe('node.stopped');
    expect(node.context.transport.isClosed).toBe(true);
    await pending.catch(() => undefined);
  });

  it('connects two in-process nodes through one bus', async () => {
    const bus = new InMemoryBus();
    await startNode({ shard: 'a' }, { bus });
    const { client } = await startNode({ shard: 'b', functions: [], actors: [] }, { bus });
    const answer = await request(client, nodeSubject('lucent', 'a'), callEnvelope('add', { a: 20, b: 22 }));
    expect(answer).toMatchObject({ payload: 42, origin: 'a' });
  });
});
