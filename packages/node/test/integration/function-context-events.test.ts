/**
 * Issue 12 end to end, on a real nats-server (JetStream) and a real `lucent-node` process: what a function sees
 * in `ctx` (caller's correlation id, causation, traceparent, metadata, shard), its result events and `ctx.emit`
 * events arriving at a subscribed client with their correlation and causation ids, `Failed` events with the
 * typed error, its log records in the node's log under the call's correlation id, and an event type nobody
 * handles counted and warned once, whether a function emitted it (on the node) or a client did (on the client).
 */
import { defineFunction, failedOf, HandlerError, type LucentError } from '@lucent/core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import type { LucentEvent } from '../../src/client/event-subscription.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';

const CLUSTER = 'ctxev';
const HEARTBEAT_MS = 250;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const processes = new NodeProcesses();
let server: NatsServerHandle;
let cluster: ClusterClient;
let node: NodeProcess;
let httpPort = 0;
/** The client's metrics and warnings (`client.emit` of an unhandled type). */
const clientRegistry = new Registry();
const clientWarnings: { type: string; suppressed: number }[] = [];

// The client's copies of the fixture's definitions (metadata is what the client reads; the node runs its own).
type Described = {
  name: string;
  attempt: number;
  correlationId: string;
  causationId: string;
  traceparent: string;
  metadata: Record<string, string>;
  shard: { id: string; tags: string[] };
};
const describeCtx = defineFunction(
  { name: 'describeCtx', events: { completed: true, failed: true } },
  (_ctx, _input: { n: number; fail?: boolean }): Described => {
    throw new Error('runs on the node');
  },
);
const emitsUnhandled = defineFunction({ name: 'emitsUnhandled' }, (_ctx, input: { n: number }) => input.n);

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  node = processes.start({
    args: clusterNodeArgs('c1', { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS }, [
      ...['--threads', '1', '--tags', 'eu,gpu', '--log-level', 'info', '--log-format', 'json'],
      ...['--functions', fixture('context-functions.mjs')],
    ]),
  });
  const ready = await node.waitForLog('node.ready', 25_000);
  httpPort = ready.httpPort as number;
  cluster = await connectCluster({
    servers: server.url,
    cluster: CLUSTER,
    heartbeatIntervalMs: HEARTBEAT_MS,
    metricsRegistry: clientRegistry,
    logger: { warn: (fields, msg) => msg === 'event.unhandled' && clientWarnings.push(fields) },
  });
  await cluster.waitForMembers(1);
}, 40_000);

afterAll(async () => {
  await cluster?.close();
  await processes.killAll();
  await server?.stop();
});

/** Resolves once `predicate` holds, polling every 25 ms; rejects after `timeoutMs`. */
async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Collects every event of `type` from now on (subscribed before the caller acts). */
async function collect<T>(type: string): Promise<{ events: LucentEvent<T>[]; close: () => void }> {
  const events: LucentEvent<T>[] = [];
  const subscription = cluster.client.on<T>(type, (event) => events.push(event));
  await cluster.client.transport.flush();
  return { events, close: () => subscription.close() };
}

describe('the function context', () => {
  it('carries the caller correlation id, causation, traceparent, metadata and the shard', async () => {
    const out = await cluster.client.call(
      describeCtx,
      { n: 1 },
      { correlationId: 'corr-ctx', causationId: 'cause-ctx', traceparent: TRACEPARENT, metadata: { user: 'ada' } },
    );
    expect(out).toEqual({
      name: 'describeCtx',
      attempt: 1,
      correlationId: 'corr-ctx',
      causationId: 'cause-ctx',
      traceparent: TRACEPARENT,
      metadata: { user: 'ada' },
      shard: { id: 'c1', tags: ['eu', 'gpu'] },
    });
  });

  it('starts a conversation when the caller names none: correlation and causation are the call id', async () => {
    const out = await cluster.client.call(describeCtx, { n: 2 });
    expect(out.correlationId).not.toBe('');
    expect(out.causationId).toBe(out.correlationId);
    expect(out.metadata).toEqual({});
  });

  it("writes the logger's records in the node's log with the call's correlation id; disabled levels never appear", async () => {
    await cluster.client.call(describeCtx, { n: 3 }, { correlationId: 'corr-log' });
    const line = await until('the info record', () =>
      node.lines.find((l) => l.msg === 'describe.info' && l.correlationId === 'corr-log'),
    );
    expect(line).toMatchObject({ fn: 'describeCtx', step: 3, level: 'info' });
    expect(node.lines.some((l) => l.msg === 'describe.debug')).toBe(false);
  });
});

describe('result events and ctx.emit', () => {
  it('Completed and the emitted event reach a subscriber with the correlation and causation ids', async () => {
    const completed = await collect<Described>('describeCtxCompleted');
    const described = await collect<{ n: number }>('ContextDescribed');
    const out = await cluster.client.call(describeCtx, { n: 4 }, { correlationId: 'corr-ev' });
    const done = await until('Completed', () => completed.events.find((e) => e.correlationId === 'corr-ev'));
    const said = await until('ContextDescribed', () => described.events.find((e) => e.correlationId === 'corr-ev'));
    expect(done.data).toEqual(out);
    expect(done.type).toBe('describeCtxCompleted');
    expect(done.origin).toBe('c1');
    // Both were caused by the call (whose id the function saw as its causation id).
    expect(done.causationId).toBe(out.causationId);
    expect(said.causationId).toBe(out.causationId);
    expect(said.data).toEqual({ n: 4 });
    completed.close();
    described.close();
  });

  it('a failed call publishes Failed with the typed error and drops what it emitted', async () => {
    const failed = await collect<{ error: LucentError }>('describeCtxFailed');
    const described = await collect<{ n: number }>('ContextDescribed');
    await expect(
      cluster.client.call(describeCtx, { n: 5, fail: true }, { correlationId: 'corr-fail' }),
    ).rejects.toSatisfy((e: unknown) => HandlerError.is(e));
    const event = await until('Failed', () => failed.events.find((e) => e.correlationId === 'corr-fail'));
    expect(HandlerError.is(event.data.error)).toBe(true);
    expect(event.data.error.details).toMatchObject({ remoteName: 'TypeError', remoteMessage: 'failing 5' });
    // A later successful call's event arrives; the failed call's never did.
    await cluster.client.call(describeCtx, { n: 6 }, { correlationId: 'corr-after' });
    await until('the later event', () => described.events.find((e) => e.correlationId === 'corr-after'));
    expect(described.events.some((e) => e.correlationId === 'corr-fail')).toBe(false);
    failed.close();
    described.close();
  });

  it('an event-triggered run publishes Completed and its emitted events, caused by the event', async () => {
    const stream = cluster.client.on<number>('onPingCompleted');
    const pongs = await collect<{ n: number }>('Ponged');
    await cluster.client.transport.flush();
    const id = await cluster.client.emit('Ping', { n: 21 }, { correlationId: 'corr-ping' });
    for await (const event of stream) {
      if (event.correlationId !== 'corr-ping') continue;
      expect(event.data).toBe(42);
      expect(event.causationId).toBe(id);
      break;
    }
    const pong = await until('Ponged', () => pongs.events.find((e) => e.correlationId === 'corr-ping'));
    expect(pong.causationId).toBe(id);
    pongs.close();
  });

  it('an event-triggered run that fails for good publishes Failed with the typed error', async () => {
    const failed = await collect<{ error: LucentError; eventId: string }>(failedOf({ name: 'onBad' }).type);
    const id = await cluster.client.emit('Bad', { n: 1 }, { correlationId: 'corr-bad' });
    const event = await until('onBadFailed', () => failed.events.find((e) => e.data.eventId === id));
    expect(event.correlationId).toBe('corr-bad');
    expect(event.causationId).toBe(id);
    expect(HandlerError.is(event.data.error)).toBe(true);
    expect(event.data.error.details).toMatchObject({ remoteName: 'RangeError' });
    failed.close();
  });

  it('an event type no function handles is counted every time and warned once', async () => {
    for (let n = 0; n < 3; n++) await cluster.client.call(emitsUnhandled, { n });
    const metric = /lucent_events_unhandled_total\{type="NobodyListens"[^}]*\} (\d+)/;
    const end = Date.now() + 15_000;
    let count = 0;
    while (count < 3 && Date.now() < end) {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      count = Number(metric.exec(text)?.[1] ?? 0);
      if (count < 3) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(count).toBe(3);
    const warnings = node.lines.filter((l) => l.msg === 'event.unhandled' && l.type === 'NobodyListens');
    expect(warnings).toHaveLength(1);
    // A handled type is neither counted nor warned about.
    expect(node.lines.some((l) => l.msg === 'event.unhandled' && l.type === 'Ping')).toBe(false);
  });

  it("a client's emit of a type no function handles is counted every time and warned once, a handled one not", async () => {
    // client.emit writes to the event log directly, never through a node: the client runs the same check.
    for (let n = 0; n < 3; n++) await cluster.client.emit('NobodyHears', { n });
    await cluster.client.emit('Ping', { n: 1 });
    const metric = /lucent_events_unhandled_total\{type="NobodyHears"\} (\d+)/;
    // The first check waits for one listing of the log's consumers; later ones answer at once.
    const end = Date.now() + 15_000;
    let count = 0;
    while (count < 3 && Date.now() < end) {
      count = Number(metric.exec(await clientRegistry.metrics())?.[1] ?? 0);
      if (count < 3) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(count).toBe(3);
    expect(clientWarnings.filter((w) => w.type === 'NobodyHears')).toHaveLength(1);
    expect(clientWarnings.some((w) => w.type === 'Ping')).toBe(false);
    expect(await clientRegistry.metrics()).not.toMatch(/lucent_events_unhandled_total\{type="Ping"\}/);
  });
});
