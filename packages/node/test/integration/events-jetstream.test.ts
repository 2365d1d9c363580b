/**
 * Durable events against a real nats-server with JetStream: emit is acknowledged once stored and deduplicated
 * by id, each event runs once per handler across nodes, failures are retried then dead-lettered (list, replay,
 * purge), and a node killed with SIGKILL mid-run leaves its delivery to a survivor.
 */
import { createRegistry, defineFunction, type Envelope, EnvelopeCodec, eventSubject } from '@lucent/core/internal';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect as connectClient, type LucentClient } from '../../src/client/lucent-client.js';
import { eventStreamName, planEventConsumers } from '../../src/events/event-consumer-plan.js';
import { decodeEventMessage } from '../../src/events/event-message.js';
import { HANDLER_HEADER, JetStreamEventLog } from '../../src/events/jetstream-event-log.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { createTestCluster, type TestCluster } from '../../src/testing/test-cluster.js';

const FUNCTIONS = [new URL('../fixtures/event-functions.mjs', import.meta.url).pathname];
const codec = new EnvelopeCodec();
let server: NatsServerHandle;
let raw: NatsConnection;
let cluster: TestCluster | undefined;
let clients: LucentClient[] = [];
const processes = new NodeProcesses();

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  raw = await connect({ servers: server.url });
});

afterEach(async () => {
  for (const client of clients) await client.close();
  clients = [];
  await cluster?.close();
  cluster = undefined;
  await processes.killAll();
});

afterAll(async () => {
  await raw?.close();
  await server?.stop();
});

/** A fresh cluster name per test: its own streams and consumers on the shared server. */
let clusterSeq = 0;
const nextCluster = () => `ev${++clusterSeq}${process.pid}`;

async function client(clusterName: string): Promise<LucentClient> {
  const made = await connectClient({ servers: server.url, cluster: clusterName });
  clients.push(made);
  return made;
}

async function streamMessages(clusterName: string): Promise<number> {
  const jsm = await raw.jetstreamManager();
  return (await jsm.streams.info(eventStreamName(clusterName))).state.messages;
}

/** Resolves once `predicate` holds, polling every 25 ms; rejects after `timeoutMs`. */
async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every stored event of `type` in the cluster's stream, decoded. */
async function storedEvents(clusterName: string, type: string): Promise<Envelope[]> {
  const jsm = await raw.jetstreamManager();
  const info = await jsm.streams.info(eventStreamName(clusterName));
  const out: Envelope[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(eventStreamName(clusterName), { seq }).catch(() => undefined);
    if (msg?.subject === eventSubject(clusterName, type)) out.push(...decodeEventMessage(msg.data, codec));
  }
  return out;
}

const runsOf = (c: TestCluster): number =>
  c.nodes.reduce((sum, node) => sum + (node.shard.node.context.pool?.stats().calls ?? 0), 0);

describe('durable events: emit', () => {
  it('resolves once the stream has stored the event, and a retried emit with the same id is stored once', async () => {
    const name = nextCluster();
    const c = await client(name);
    const id = await c.emit('Tick', { n: 1 });
    // Acknowledged means stored: the stream holds it when emit resolves (no node exists yet).
    expect(await streamMessages(name)).toBe(1);
    expect(await c.emit('Tick', { n: 1 }, { id })).toBe(id);
    expect(await c.emit('Tick', { n: 1 }, { id })).toBe(id);
    expect(await streamMessages(name)).toBe(1);
    await c.emit('Tick', { n: 2 });
    expect(await streamMessages(name)).toBe(2);
  });

  it("the log's publish says whether the stream had the message id already, and carries the handler header", async () => {
    const name = nextCluster();
    const log = await JetStreamEventLog.open(raw, { cluster: name });
    await log.ensureStreams();
    const subject = eventSubject(name, 'Tick');
    const bytes = new TextEncoder().encode('{}');
    expect(await log.publish(subject, bytes, { msgId: 'tick-1', handler: 'f' })).toBe(false);
    expect(await log.publish(subject, bytes, { msgId: 'tick-1', handler: 'f' })).toBe(true);
    expect(await streamMessages(name)).toBe(1);
    const stored = await (await raw.jetstreamManager()).streams.getMessage(log.stream, { seq: 1 });
    expect(stored.header.get(HANDLER_HEADER)).toBe('f');
    expect(stored.header.get('Nats-Msg-Id')).toBe('tick-1');
    await log.close();
  });
});

describe('durable events: consumers', () => {
  it('two nodes with the same handler run each event once in all, and every Completed is stored', async () => {
    const name = nextCluster();
    cluster = await createTestCluster({
      nodes: ['a', 'b'],
      transport: 'nats',
      servers: server.url,
      cluster: name,
      functions: FUNCTIONS,
    });
    const c = await client(name);
    const count = 40;
    for (let n = 0; n < count; n++) await c.emit('Tick', { n });
    const live = cluster;
    await until(
      '40 handled',
      () => live.nodes.reduce((s, node) => s + (node.shard.node.events?.handled ?? 0), 0) === count,
    );
    // Settle a little longer: a duplicate delivery would show up as a 41st run.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runsOf(live)).toBe(count);
    const completed = await storedEvents(name, 'tallyCompleted');
    expect(completed.map((e) => e.payload).sort((x, y) => Number(x) - Number(y))).toEqual(
      Array.from({ length: count }, (_, n) => n),
    );
    expect(await c.events.consumers()).toEqual(['context--Ctx', 'flaky--Boom', 'slow--Slow', 'tally--Tick']);
  });

  it('hands the handler the event id and the delivery attempt', async () => {
    const name = nextCluster();
    cluster = await createTestCluster({
      nodes: ['a'],
      transport: 'nats',
      servers: server.url,
      cluster: name,
      functions: FUNCTIONS,
    });
    const c = await client(name);
    const id = await c.emit('Ctx', {});
    await until('contextCompleted', async () => (await storedEvents(name, 'contextCompleted')).length === 1);
    expect((await storedEvents(name, 'contextCompleted'))[0]?.payload).toEqual({ id, attempt: 1 });
  });

  it('a failing handler is delivered max_deliver times, then dead-lettered with error, attempts and event; replay and purge', async () => {
    const name = nextCluster();
    cluster = await createTestCluster({
      nodes: ['a', 'b'],
      transport: 'nats',
      servers: server.url,
      cluster: name,
      functions: FUNCTIONS,
    });
    const c = await client(name);
    const id = await c.emit('Boom', { what: 'x' });
    await until('a dead letter', async () => (await c.events.deadLetters.list()).length === 1);
    const [letter] = await c.events.deadLetters.list();
    expect(letter).toMatchObject({
      consumer: 'flaky--Boom',
      functionName: 'flaky',
      eventType: 'Boom',
      eventId: id,
      attempts: 3,
      error: { code: 'LUCENT_HANDLER' },
    });
    expect(letter?.error.message).toContain(`boom ${id} attempt 3`);
    expect(letter?.event).toMatchObject({ id, target: 'Boom', payload: { what: 'x' } });
    expect(runsOf(cluster)).toBe(3);
    const failed = await storedEvents(name, 'flakyFailed');
    expect(failed.map((e) => e.payload)).toEqual([
      expect.objectContaining({ eventId: id, attempts: 3, error: expect.objectContaining({ code: 'LUCENT_HANDLER' }) }),
    ]);
    const deadLettered = await Promise.all(cluster.nodes.map((node) => node.shard.node.metrics.text()));
    expect(deadLettered.join('\n')).toMatch(/lucent_event_dead_letters_total\{consumer="flaky--Boom",node="[ab]"\} 1/);

    // Replay: delivered again (three more runs), dead-lettered again as a new record; the old one is gone.
    await c.events.deadLetters.replay(letter!.id);
    const live = cluster;
    await until('three more runs', () => runsOf(live) === 6);
    await until('the replayed dead letter', async () => {
      const letters = await c.events.deadLetters.list();
      return letters.length === 1 && letters[0]!.id !== letter!.id;
    });
    expect(await c.events.deadLetters.replay(letter!.id).catch((e) => e.code)).toBe('LUCENT_CONFIG');
    expect(await c.events.deadLetters.purge()).toBe(1);
    expect(await c.events.deadLetters.list()).toEqual([]);
  });

  it('keeps a consumer whose handler no node serves until it is removed explicitly', async () => {
    const name = nextCluster();
    cluster = await createTestCluster({
      nodes: ['a'],
      transport: 'nats',
      servers: server.url,
      cluster: name,
      functions: FUNCTIONS,
    });
    await cluster.close();
    cluster = undefined;
    const c = await client(name);
    expect(await c.events.consumers()).toContain('tally--Tick');
    expect(await c.events.removeConsumer('tally--Tick')).toBe(true);
    expect(await c.events.removeConsumer('tally--Tick')).toBe(false);
    expect(await c.events.consumers()).not.toContain('tally--Tick');
  });
});

describe('durable events: node failure', () => {
  it('reports a delivery that ran out of max_deliver by ack timeout (the server advisory)', async () => {
    const name = nextCluster();
    const log = await JetStreamEventLog.open(raw, { cluster: name });
    const functions = createRegistry([
      defineFunction({ name: 'f', handles: 'T', retry: { maxAttempts: 1 } }, (_ctx, x: unknown) => x),
    ]);
    const [plan] = planEventConsumers(functions, { cluster: name, ackWaitMs: 200 });
    await log.ensureConsumer(plan!);
    const reported: [string, number, number][] = [];
    const unwatch = await log.watchMaxDeliveries((consumer, seq, deliveries) =>
      reported.push([consumer, seq, deliveries]),
    );
    const swallowed: number[] = [];
    const subscription = await log.consume(plan!, (delivery) => swallowed.push(delivery.attempt));
    const c = await client(name);
    await c.emit('T', 1);
    await until('the advisory', () => reported.length > 0);
    expect(swallowed).toEqual([1, 2, 3]);
    expect(reported[0]).toEqual(['f--T', 1, 3]);
    unwatch();
    await subscription.stop();
    await log.close();
  });

  it('a node killed with SIGKILL mid-run leaves its delivery to a survivor', async () => {
    const name = nextCluster();
    const start = (shard: string) =>
      processes.start({
        args: [
          '--shard',
          shard,
          '--cluster',
          name,
          '--nats',
          server.url,
          '--http-port',
          '0',
          '--threads',
          '1',
          '--event-ack-wait-ms',
          '1000',
          '--functions',
          FUNCTIONS[0]!,
          '--log-level',
          'info',
        ],
      });
    const first = start('k1');
    await first.waitForLog('node.ready', 25_000);
    const c = await client(name);
    // Slow enough that the first node is still running it when it is killed.
    const id = await c.emit('Slow', { ms: 1500, n: 7 });
    const jsm = await raw.jetstreamManager();
    const consumerInfo = () => jsm.consumers.info(eventStreamName(name), 'slow--Slow');
    // The only node has taken the delivery and not acknowledged it: it is running the handler.
    await until('k1 running the handler', async () => (await consumerInfo()).num_ack_pending === 1);
    first.kill();
    await first.exited;
    expect(await storedEvents(name, 'slowCompleted')).toEqual([]);
    const survivor = start('k2');
    await survivor.waitForLog('node.ready', 25_000);
    await until(
      'slowCompleted from the survivor',
      async () => (await storedEvents(name, 'slowCompleted')).length === 1,
      20_000,
    );
    const [completed] = await storedEvents(name, 'slowCompleted');
    expect(completed).toMatchObject({ id: `${id}.slow`, origin: 'k2', payload: 7 });
    // Delivered at least twice: to the killed node, then to the survivor.
    expect((await consumerInfo()).delivered.consumer_seq).toBeGreaterThanOrEqual(2);
  });
});
