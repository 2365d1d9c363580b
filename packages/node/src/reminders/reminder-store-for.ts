/**
 * Which {@link ReminderStore} a transport's cluster uses: the JetStream KV bucket on a NATS connection, or the
 * in-memory twin shared by everything on the same in-memory bus. Opened once per transport and cluster.
 */
import { ConfigError } from '@lucent/core/internal';
import { InMemoryTransport } from '../transport/in-memory-transport.js';
import { NatsTransport } from '../transport/nats-transport.js';
import { oneOpenPer } from '../transport/one-per-transport.js';
import type { Transport } from '../transport/transport.js';
import { KvReminderStore } from './kv-reminder-store.js';
import { memoryReminderStoreFor } from './memory-reminder-store.js';
import type { ReminderStore } from './reminder-store.js';

/** Settings of the reminder store (the bucket is created with them when missing). */
export interface ReminderStoreOptions {
  readonly cluster: string;
  /** KV replicas; default 1. */
  readonly replicas?: number;
}

const opened = new WeakMap<Transport, Map<string, Promise<ReminderStore>>>();

/**
 * The reminder store of `options.cluster` through `transport`; later calls get the same promise. Rejects with
 * `NodeUnavailableError` / `TimeoutError` when JetStream does not answer, `ConfigError` for a transport that is
 * neither NATS nor in-memory. A failed open is retried by the next call.
 */
export function reminderStoreFor(transport: Transport, options: ReminderStoreOptions): Promise<ReminderStore> {
  return oneOpenPer(opened, transport, options.cluster, () => open(transport, options));
}

async function open(transport: Transport, options: ReminderStoreOptions): Promise<ReminderStore> {
  if (transport instanceof NatsTransport) {
    return KvReminderStore.open(transport.natsConnection, {
      cluster: options.cluster,
      ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
    });
  }
  if (transport instanceof InMemoryTransport) return memoryReminderStoreFor(transport.bus, options.cluster);
  throw new ConfigError({
    subject: 'reminders',
    field: 'transport',
    reason: 'durable reminders need a NatsTransport or an InMemoryTransport',
  });
}
