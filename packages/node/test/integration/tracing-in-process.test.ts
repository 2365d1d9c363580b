/**
 * Tracing end to end in one process (a test cluster of real shard nodes on the in-memory transport, functions
 * in their worker pools), with an in-memory OpenTelemetry SDK registered: a call's spans (client → node → pool
 * run) and an actor ask's share one trace with the right parents, a forward keeps the trace, and `Completed`
 * events carry the traceparent of the run that produced them.
 */
import {
  callEnvelope,
  type Envelope,
  EnvelopeCodec,
  eventEnvelope,
  eventSubject,
  nodeSubject,
} from '@lucent/core/internal';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestCluster, type TestCluster } from '../../src/testing/test-cluster.js';
import { counter } from '../fixtures/counter-actor.js';
import { InMemoryTracing, traceparentOfContext } from '../in-memory-tracing.js';

const FUNCTIONS = [new URL('../fixtures/tracing-functions.mjs', import.meta.url)];
const ACTORS = [new URL('../fixtures/counter-actor.ts', import.meta.url)];
const codec = new EnvelopeCodec();
const tracing = new InMemoryTracing();
const testTracer = trace.getTracer('test');
let cluster: TestCluster;

beforeAll(async () => {
  tracing.register();
  cluster = await createTestCluster({ nodes: ['a', 'b'], functions: FUNCTIONS, actors: ACTORS });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  await tracing.unregister();
});
beforeEach(() => tracing.reset());

/** Runs `fn` inside a new active test span; resolves with that span's context once `fn` settled. */
async function inTestSpan(fn: () => Promise<unknown>) {
  return testTracer.startActiveSpan('test', async (span) => {
    try {
      await fn();
    } finally {
      span.end();
    }
    return span.spanContext();
  });
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;
/** The one ended span named `name` of `kind`. */
function named(name: string, kind: SpanKind): ReadableSpan {
  const found = tracing.spans.filter((span) => span.name === name && span.kind === kind);
  expect(found, `${name} (${SpanKind[kind]})`).toHaveLength(1);
  return found[0] as ReadableSpan;
}

/** Resolves with the first `count` events published on `type`'s subject after this call. */
async function nextEvents(type: string, count: number): Promise<Envelope[]> {
  const transport = await cluster.connect();
  const got: Envelope[] = [];
  const done = new Promise<Envelope[]>((resolve) => {
    transport.subscribe(eventSubject('lucent', type), (frame) => {
      got.push(codec.decode(frame));
      if (got.length === count) resolve(got);
    });
  });
  await cluster.bus?.idle();
  return done;
}

/** Polls until the exporter holds a span named `name` (spans of one-way work end after the test's await). */
async function ended(name: string): Promise<ReadableSpan> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const span = tracing.spans.find((s) => s.name === name);
    if (span !== undefined) return span;
    if (Date.now() > deadline) throw new Error(`no span '${name}' (ended: ${tracing.spans.map((s) => s.name)})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('tracing in one process', () => {
  it('a call: test span → client span → node span → pool run span, one trace', async () => {
    const test = await inTestSpan(() => cluster.client.call('echo', { hello: 1 }));
    const client = named('call echo', SpanKind.CLIENT);
    const server = named('call echo', SpanKind.SERVER);
    const run = tracing.span('run echo');
    for (const span of [client, server, run]) expect(traceOf(span)).toBe(test.traceId);
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(client)).toBe(test.spanId);
    expect(server.name).toBe('call echo');
    expect(parentOf(server)).toBe(idOf(client));
    expect(server.parentSpanContext?.isRemote).toBe(true);
    expect(server.attributes['lucent.node']).toMatch(/^[ab]$/);
    expect(parentOf(run)).toBe(idOf(server));
    expect(run.attributes['lucent.function']).toBe('echo');
  });

  it('a failed call marks its spans with the error code', async () => {
    await inTestSpan(() => cluster.client.call('fails', { n: 1 }).catch(() => undefined));
    const client = named('call fails', SpanKind.CLIENT);
    expect(client.status).toEqual({ code: SpanStatusCode.ERROR, message: 'LUCENT_HANDLER' });
    expect(named('call fails', SpanKind.SERVER).status.code).toBe(SpanStatusCode.ERROR);
    expect(tracing.span('run fails').attributes['lucent.error_code']).toBe('LUCENT_HANDLER');
  });

  it('an actor ask and a tell: client span → node span of the owner, one trace', async () => {
    const handle = cluster.client.actor(counter, 'traced');
    const test = await inTestSpan(async () => {
      handle.tell({ type: 'inc' });
      await handle.ask({ type: 'get' });
    });
    const askClient = named('ask counter/traced', SpanKind.CLIENT);
    const askServer = named('ask counter/traced', SpanKind.SERVER);
    expect(parentOf(askClient)).toBe(test.spanId);
    expect(parentOf(askServer)).toBe(idOf(askClient));
    expect(askServer.attributes['lucent.node']).toBe(cluster.view.ring.owner('counter/traced'));
    const tellClient = named('tell counter/traced', SpanKind.PRODUCER);
    const tellServer = named('tell counter/traced', SpanKind.SERVER);
    expect(parentOf(tellClient)).toBe(test.spanId);
    expect(parentOf(tellServer)).toBe(idOf(tellClient));
    for (const span of [askClient, askServer, tellClient, tellServer]) expect(traceOf(span)).toBe(test.traceId);
  });

  it('a forwarded call keeps its traceparent: the owner serves it as a child of the sender span', async () => {
    const caller = testTracer.startSpan('caller');
    const traceparent = traceparentOfContext(caller.spanContext());
    // `balance` is keyed on `account`: send it to the node that does NOT own the key, which forwards it.
    const account = 'x1';
    const owner = cluster.view.ring.owner(account);
    const other = owner === 'a' ? 'b' : 'a';
    const transport = await cluster.connect();
    const envelope = callEnvelope('balance', { account, amount: 1 }, { traceparent, deadline: Date.now() + 10_000 });
    const answer = codec.decode(await transport.request(nodeSubject('lucent', other), codec.encode(envelope), 10_000));
    caller.end();
    expect(answer.payload).toEqual({ account, doubled: 2 });
    expect(answer.traceparent).toBe(traceparent);
    const server = tracing.span('call balance');
    expect(server.attributes).toMatchObject({ 'lucent.node': owner, 'lucent.hops': 1 });
    expect(parentOf(server)).toBe(caller.spanContext().spanId);
    expect(traceOf(server)).toBe(caller.spanContext().traceId);
  });

  it('Completed events carry the traceparent of the run that produced them (durable and direct events)', async () => {
    // Durable: emit → the log → a node's consumer runs audit → auditCompleted.
    const durable = nextEvents('auditCompleted', 1);
    const test = await inTestSpan(() => cluster.client.emit('OrderPlaced', { sku: 'sku-t', qty: 1 }));
    const [completed] = await durable;
    const emit = tracing.span('emit OrderPlaced');
    expect(parentOf(emit)).toBe(test.spanId);
    const run = await ended('run audit');
    expect(run.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(run)).toBe(idOf(emit));
    expect(completed?.traceparent).toBe(traceparentOfContext(run.spanContext()));
    expect(traceOf(run)).toBe(test.traceId);

    // Direct (at most once, the router's event dispatcher): an event envelope sent to a node's subject.
    tracing.reset();
    const direct = nextEvents('auditCompleted', 1);
    const sender = testTracer.startSpan('sender');
    const traceparent = traceparentOfContext(sender.spanContext());
    (await cluster.connect()).send(
      nodeSubject('lucent', 'a'),
      codec.encode(eventEnvelope('OrderPlaced', { sku: 'sku-d', qty: 1 }, { traceparent })),
    );
    const [directCompleted] = await direct;
    sender.end();
    const directRun = await ended('run audit');
    expect(parentOf(directRun)).toBe(sender.spanContext().spanId);
    expect(directCompleted?.traceparent).toBe(traceparentOfContext(directRun.spanContext()));
  });
});
