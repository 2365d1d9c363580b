/**
 * Durable events and the deployed registry (issues 13 and 17), with a real nats-server (JetStream) and two real
 * `lucent-node` processes, driven through the `lucent` commands:
 *
 * - two enabled versions of one function that handle different event types side by side: each event runs on a
 *   version that handles its type, never on the other (whatever the weights);
 * - an actor type deployed through the registry (no `--actors`) receives the events it subscribes to
 *   (`defineActor({ subscribe })`), as an `--actors` type does.
 */
import { type Envelope, EnvelopeCodec, eventSubject } from '@lucent/core/internal';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { eventStreamName } from '../../src/events/event-consumer-plan.js';
import { decodeEventMessage } from '../../src/events/event-message.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture, runLucent } from './cli-fixtures.js';
import { applyEverywhere } from './registry-changes.js';
import { until } from './wait-until.js';

const CLUSTER = 'regsub';
const HEARTBEAT_MS = 200;
const processes = new NodeProcesses();
const codec = new EnvelopeCodec();
let server: NatsServerHandle;
let raw: NatsConnection;
let cluster: ClusterClient;
const nodes: NodeProcess[] = [];

/** Runs `lucent <args>` and resolves once every node has applied the registry after it. */
function changeEverywhere(...args: string[]): Promise<void> {
  return applyEverywhere(nodes, args.join(' '), async () => {
    const run = await runLucent({ cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS }, args);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
  });
}

/** The stored events of type `type`, their payloads in order. */
async function stored<T>(type: string): Promise<T[]> {
  const jsm = await raw.jetstreamManager();
  const stream = eventStreamName(CLUSTER);
  const info = await jsm.streams.info(stream);
  const found: T[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (msg?.subject !== eventSubject(CLUSTER, type)) continue;
    for (const event of decodeEventMessage(msg.data, codec) as Envelope[]) found.push(event.payload as T);
  }
  return found;
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS };
  for (const id of ['u1', 'u2']) {
    nodes.push(processes.start({ args: clusterNodeArgs(id, options, ['--threads', '1']) }));
  }
  await Promise.all(nodes.map((node) => node.waitForLog('node.ready', 30_000)));
  raw = await connect({ servers: server.url });
  cluster = await connectCluster({ servers: server.url, cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS });
  await cluster.waitForMembers(nodes.length, 30_000);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await raw?.close();
  await processes.killAll();
  await server?.stop();
});

describe('deployed versions and subscriptions', () => {
  it('runs each event on a version that handles its type, with two versions handling different types', async () => {
    await changeEverywhere('deploy', fixture('registry/picker-v1.mjs'));
    // v2 at the same weight: by weight alone, half of each type's events would go to the wrong version.
    await changeEverywhere('deploy', fixture('registry/picker-v2.mjs'), '--weight', '100');
    const count = 20;
    for (let n = 0; n < count; n++) {
      await cluster.client.emit('Apple', { n });
      await cluster.client.emit('Pear', { n: 1000 + n });
    }
    let results: { version: string; n: number }[] = [];
    await until(
      'every event handled',
      async () => {
        results = await stored<{ version: string; n: number }>('pickerCompleted');
        return results.length >= 2 * count;
      },
      30_000,
    );
    expect(results.length).toBe(2 * count);
    for (const result of results) expect(result.version).toBe(result.n < 1000 ? '1' : '2');
    expect(await stored('pickerFailed')).toEqual([]);
  }, 90_000);

  it('delivers subscribed events to an actor type deployed through the registry', async () => {
    await changeEverywhere('deploy', fixture('registry/basket-actor.mjs'));
    const items = async (id: string) =>
      (await cluster.client.actor<{ type: 'get' }, { items: string[] }>('basket', id).ask({ type: 'get' })).items;
    await cluster.client.emit('ItemAdded', { basket: 'b1', item: 'apple' });
    await cluster.client.emit('ItemAdded', { basket: 'b2', item: 'pear' });
    await cluster.client.emit('ItemAdded', { basket: 'b1', item: 'plum' });
    await until('the items stored by their baskets', async () => {
      const [b1, b2] = await Promise.all([items('b1'), items('b2')]).catch(() => [[], []]);
      return b1.length === 2 && b2.length === 1;
    });
    await new Promise((resolve) => setTimeout(resolve, 300)); // a late duplicate would show up now
    expect(await items('b1')).toEqual(['apple', 'plum']);
    expect(await items('b2')).toEqual(['pear']);
  }, 60_000);
});
