/**
 * Which {@link SagaIndex} a transport's cluster uses: the `lucent-<cluster>-sagas` KV bucket on the NATS
 * connection, or one in-memory index per in-memory bus and cluster, so a standalone node and a client on the same
 * bus (`lucent-node` without `--nats`, `createTestCluster`) see the same sagas. Opened once per transport.
 */
import { ConfigError } from '@lucent/core/internal';
import type { InMemoryBus } from '../transport/in-memory-bus.js';
import { InMemoryTransport } from '../transport/in-memory-transport.js';
import { NatsTransport } from '../transport/nats-transport.js';
import { oneOpenPer, onePer } from '../transport/one-per-transport.js';
import type { Transport } from '../transport/transport.js';
import { KvSagaIndex, MemorySagaIndex, type SagaIndex } from './saga-index.js';

const opened = new WeakMap<Transport, Map<string, Promise<SagaIndex>>>();
const memoryIndexes = new WeakMap<InMemoryBus, Map<string, MemorySagaIndex>>();

/**
 * The saga index of `cluster` through `transport`; later calls get the same promise (a failed open is retried by
 * the next call). Rejects with `NodeUnavailableError` when NATS has no JetStream, `ConfigError` for a transport
 * that is neither NATS nor in-memory.
 */
export function sagaIndexFor(transport: Transport, cluster: string, replicas = 1): Promise<SagaIndex> {
  return oneOpenPer(opened, transport, cluster, () => open(transport, cluster, replicas));
}

async function open(transport: Transport, cluster: string, replicas: number): Promise<SagaIndex> {
  if (transport instanceof NatsTransport) return KvSagaIndex.open(transport.natsConnection, cluster, replicas);
  if (transport instanceof InMemoryTransport) return memorySagaIndexFor(transport.bus, cluster);
  throw new ConfigError({
    subject: 'sagas',
    field: 'transport',
    reason: 'sagas need a NatsTransport or an InMemoryTransport',
  });
}

/** The one in-memory saga index of `cluster` on `bus`. */
export function memorySagaIndexFor(bus: InMemoryBus, cluster: string): MemorySagaIndex {
  return onePer(memoryIndexes, bus, cluster, () => new MemorySagaIndex());
}
