/**
 * @lucent/node: everything that does I/O.
 *
 * - the shard process: `startShardNode` (what `lucent-node` runs), `ShardNode`, config, logs, metrics, HTTP
 * - the client: `connect` / `createClient` (`call`, `actor(...).tell/ask`, `emit`), `connectCluster` (routes with
 *   a membership view)
 * - tests: `createTestCluster` (a cluster of real shard nodes in the test process, memory or nats-server)
 * - the parts: transport (NATS and in-memory, coalescing), membership, router, function pool, KV state store
 */
export * from './client/actor-handle.js';
export { DEFAULT_CLIENT_TIMEOUT_MS, type EmitOptions, type RequestOptions } from './client/client-core.js';
export * from './client/cluster-client.js';
export * from './client/lucent-client.js';
export * from './config/load-config.js';
export * from './config/node-config.js';
export * from './config/resolve-config.js';
export type { DeadLetter, DeadLetterError, DeadLetterRecord } from './events/dead-letter.js';
export { DELIVERY_EXHAUSTED_CODE, DurableEventConsumers } from './events/durable-event-consumers.js';
export {
  DEFAULT_EVENT_ACK_WAIT_MS,
  DEFAULT_EVENT_DUPLICATE_WINDOW_MS,
  DEFAULT_EVENT_MAX_ACK_PENDING,
  deadLetterStreamName,
  eventConsumerName,
  eventStreamName,
} from './events/event-consumer-plan.js';
export { type DeadLetterListOptions, DeadLetters, EventsAdmin } from './events/events-admin.js';
export * from './logging.js';
export * from './membership/membership.js';
export * from './membership/membership-events.js';
export * from './membership/membership-extension.js';
export * from './membership/membership-options.js';
export * from './membership/membership-table.js';
export * from './metrics/node-metrics.js';
export * from './pool/function-pool.js';
export type { PoolSupervisionOptions } from './pool/pool-restart-policy.js';
export { POOL_RESTARTING_REASON } from './pool/supervised-pool.js';
export { completedEventType, failedEventType } from './router/event-dispatcher.js';
export * from './router/function-runner.js';
export * from './router/request-handler.js';
export * from './router/router-observer.js';
export * from './router/router-subscriptions.js';
export * from './shard/shard-context.js';
export * from './shard/shard-node.js';
export * from './shard/shutdown-signals.js';
export * from './shard/start-shard-node.js';
export * from './state/activation-lease.js';
export * from './state/kv-state-store.js';
export * from './state/lease-policy.js';
export {
  createTestCluster,
  type TestCluster,
  type TestClusterNode,
  type TestClusterOptions,
} from './testing/test-cluster.js';
export * from './transport/in-memory-bus.js';
export * from './transport/in-memory-transport.js';
export * from './transport/nats-transport.js';
export * from './transport/transport.js';
