/**
 * Conditional triggers with real processes: two `lucent-node` processes on a real nats-server serve `bigOrder`,
 * which handles `OrderPlaced` only `when` the order's qty is 100 or more. Every event is delivered and
 * acknowledged, but only the matching ones run (and store a `bigOrderCompleted` event).
 *
 * They also host the `customer` actor type, which subscribes to `OrderPlaced` with the same condition: each big
 * order reaches the actor its `idFrom` names, once, also when one node is SIGKILLed and more orders come.
 */
import { type Envelope, EnvelopeCodec, eventSubject } from '@lucent/core/internal';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import type { LucentClient } from '../../src/client/lucent-client.js';
import { eventConsumerName, eventStreamName } from '../../src/events/event-consumer-plan.js';
import { decodeEventMessage } from '../../src/events/event-message.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture, metricValue } from './cli-fixtures.js';

const CLUSTER = 'when';
const codec = new EnvelopeCodec();
const processes = new NodeProcesses();
let server: NatsServerHandle;
let raw: NatsConnection;
let cluster: ClusterClient;
let client: LucentClient;
const nodes: NodeProcess[] = [];
const httpPorts: number[] = [];

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `lucent_actor_subscription_events_total{actor_type="customer",event_type="OrderPlaced",outcome}` summed over `ports`. */
async function subscriptionEvents(outcome: string, ports: readonly number[]): Promise<number> {
  const labels = { actor_type: 'customer', event_type: 'OrderPlaced', outcome };
  let total = 0;
  for (const port of ports) total += await metricValue(port, 'lucent_actor_subscription_events_total', labels);
  return total;
}

async function storedEvents(type: string): Promise<Envelope[]> {
  const jsm = await raw.jetstreamManager();
  const info = await jsm.streams.info(eventStreamName(CLUSTER));
  const out: Envelope[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(eventStreamName(CLUSTER), { seq }).catch(() => undefined);
    if (msg?.subject === eventSubject(CLUSTER, type)) out.push(...decodeEventMessage(msg.data, codec));
  }
  return out;
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  raw = await connect({ servers: server.url });
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: 200 };
  const modules = ['--functions', fixture('conditional-functions.mjs'), '--actors', fixture('conditional-actors.mjs')];
  for (const id of ['w1', 'w2']) nodes.push(processes.start({ args: clusterNodeArgs(id, options, modules) }));
  const ready = await Promise.all(nodes.map((node) => node.waitForLog('node.ready', 30_000)));
  for (const line of ready) httpPorts.push(line.httpPort as number);
  // With the cluster's view: actor asks are routed to the owner.
  cluster = await connectCluster({ servers: server.url, cluster: CLUSTER });
  await cluster.waitForMembers(2, 30_000);
  client = cluster.client;
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await raw?.close();
  await processes.killAll();
  await server?.stop();
});

describe('when: conditional triggers (real nats-server, two lucent-node processes)', () => {
  it('runs the function only for events that pass its filter; the others are acknowledged without a run', async () => {
    const orders = [
      { id: 'o1', customer: 'ann', qty: 5 },
      { id: 'o2', customer: 'ann', qty: 150 },
      { id: 'o3', customer: 'bob', qty: 99 },
      { id: 'o4', customer: 'bob', qty: 100 },
      { id: 'o5', customer: 'ann', qty: 1 },
    ];
    for (const order of orders) await client.emit('OrderPlaced', order);
    const jsm = await raw.jetstreamManager();
    const consumer = eventConsumerName('bigOrder', 'OrderPlaced');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const info = await jsm.consumers.info(eventStreamName(CLUSTER), consumer);
      if (info.ack_floor.stream_seq >= orders.length && info.num_ack_pending === 0) break;
      if (Date.now() > deadline) throw new Error('timed out waiting for every OrderPlaced to be acknowledged');
      await pause(100);
    }
    await pause(300); // a late extra run would show up now
    const completed = await storedEvents('bigOrderCompleted');
    expect(completed.map((event) => event.payload).sort()).toEqual(['o2', 'o4']);
  }, 60_000);

  it('delivers each big order to the customer actor idFrom names, once, also across a SIGKILLed node', async () => {
    const bigOrders = async (id: string) =>
      (await client.actor<{ type: 'get' }, { bigOrders: string[] }>('customer', id).ask({ type: 'get' })).bigOrders;
    const until = async (check: () => Promise<boolean>, what: string) => {
      const deadline = Date.now() + 30_000;
      while (!(await check().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await pause(200);
      }
    };
    // The orders of the first test: o2 (ann) and o4 (bob) pass `when`; an actor ask answers once they are stored.
    await until(async () => (await bigOrders('ann')).length === 1 && (await bigOrders('bob')).length === 1, 'o2, o4');
    expect(await bigOrders('ann')).toEqual(['o2']);
    expect(await bigOrders('bob')).toEqual(['o4']);
    // Counted where they were handled (summed over both nodes): 2 stored by their actor, 3 filtered out by `when`.
    await until(async () => (await subscriptionEvents('filtered', httpPorts)) === 3, 'o1, o3, o5 filtered');
    expect(await subscriptionEvents('delivered', httpPorts)).toBe(2);
    expect(await subscriptionEvents('retried', httpPorts)).toBe(0);
    expect(await subscriptionEvents('dead_lettered', httpPorts)).toBe(0);
    const victim = nodes[0] as NodeProcess;
    victim.kill();
    await victim.exited;
    await client.emit('OrderPlaced', { id: 'o6', customer: 'ann', qty: 500 });
    await client.emit('OrderPlaced', { id: 'o7', customer: 'bob', qty: 7 });
    await client.emit('OrderPlaced', { id: 'o8', customer: 'bob', qty: 120 });
    await until(async () => (await bigOrders('ann')).length === 2 && (await bigOrders('bob')).length === 2, 'o6, o8');
    await pause(300); // a late duplicate would show up now
    expect(await bigOrders('ann')).toEqual(['o2', 'o6']);
    expect(await bigOrders('bob')).toEqual(['o4', 'o8']);
  }, 60_000);

  it('counts a delivery that keeps failing as retried, then dead-lettered (the surviving node)', async () => {
    const survivor = [httpPorts[1] as number];
    const retriedBefore = await subscriptionEvents('retried', survivor);
    const deadBefore = await subscriptionEvents('dead_lettered', survivor);
    // Passes `when`, but `idFrom` names no actor: every attempt fails (8 attempts over ~24 s of backoff).
    await client.emit('OrderPlaced', { id: 'o9', customer: '', qty: 300 });
    const deadline = Date.now() + 50_000;
    while ((await subscriptionEvents('dead_lettered', survivor)) === deadBefore) {
      if (Date.now() > deadline) throw new Error('timed out waiting for o9 to be dead-lettered');
      await pause(500);
    }
    expect((await subscriptionEvents('dead_lettered', survivor)) - deadBefore).toBe(1);
    expect((await subscriptionEvents('retried', survivor)) - retriedBefore).toBeGreaterThanOrEqual(1);
  }, 70_000);
});
