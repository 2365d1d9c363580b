/** The reminder store contract on a real nats-server (JetStream KV), and that fired and cancelled keys leave nothing. */
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KvReminderStore, partitionBucket } from '../../src/reminders/kv-reminder-store.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { reminderStoreContract } from '../reminder-store-contract.js';

let server: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  nc = await connect({ servers: server.url });
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

it('KvReminderStore keeps the reminder store contract, and erases the delete markers it saw', async () => {
  const store = await KvReminderStore.open(nc, { bucket: 'contract-reminders', partitions: 4 });
  await reminderStoreContract(store);
  // Every key was acked, purged or cancelled and the watches erased the markers they saw: the streams end empty.
  const jsm = await nc.jetstreamManager();
  const streams = Array.from({ length: 4 }, (_, p) => `KV_${partitionBucket('contract-reminders', p)}`);
  const stored = async () => {
    let total = 0;
    for (const stream of streams) total += (await jsm.streams.info(stream)).state.messages;
    return total;
  };
  let messages = -1;
  for (let i = 0; i < 200 && messages !== 0; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    messages = await stored();
  }
  expect(messages).toBe(0);
}, 30_000);
