/**
 * Conditional triggers with real processes: two `lucent-node` processes on a real nats-server serve `bigOrder`,
 * which handles `OrderPlaced` only `when` the order's qty is 100 or more. Every event is delivered and
 * acknowledged, but only the matching ones run (and store a `bigOrderCompleted` event).
 */
import { type Envelope, EnvelopeCodec, eventSubject } from '@lucent/core/internal';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as connectClient, type LucentClient } from '../../src/client/lucent-client.js';
import { eventConsumerName, eventStreamName } from '../../src/events/event-consumer-plan.js';
import { decodeEventMessage } from '../../src/events/event-message.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';

const CLUSTER = 'when';
const codec = new EnvelopeCodec();
const processes = new NodeProcesses();
let server: NatsServerHandle;
let raw: NatsConnection;
let client: LucentClient;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  await Promise.all(
    ['w1', 'w2'].map((id) =>
      processes
        .start({ args: clusterNodeArgs(id, options, ['--functions', fixture('conditional-functions.mjs')]) })
        .waitForLog('node.ready', 30_000),
    ),
  );
  client = await connectClient({ servers: server.url, cluster: CLUSTER });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await raw?.close();
  await processes.killAll();
  await server?.stop();
});

describe('when: conditional triggers (real nats-server, two lucent-node processes)', () => {
  it('runs the function only for events that pass its filter; the others are acknowledged without a run', async () => {
    const orders = [
      { id: 'o1', qty: 5 },
      { id: 'o2', qty: 150 },
      { id: 'o3', qty: 99 },
      { id: 'o4', qty: 100 },
      { id: 'o5', qty: 1 },
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
});
