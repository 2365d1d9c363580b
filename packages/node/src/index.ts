/**
 * @lucent/node: everything that does I/O. So far: the transport (NATS and in-memory, with coalescing) and the
 * piscina function pool. The shard process, membership, client and CLI build on these.
 */

export * from './client/actor-handle.js';
export * from './client/client-core.js';
export * from './client/lucent-client.js';
export * from './config/load-config.js';
export * from './config/node-config.js';
export * from './config/resolve-config.js';
export * from './logging.js';
export * from './membership/membership.js';
export * from './membership/membership-events.js';
export * from './membership/membership-options.js';
export * from './membership/membership-table.js';
export * from './metrics/node-metrics.js';
export * from './pool/function-pool.js';
export * from './router/event-dispatcher.js';
export * from './router/function-runner.js';
export * from './router/placement.js';
export * from './router/request-handler.js';
export * from './router/router-observer.js';
export * from './router/router-subscriptions.js';
export * from './shard/local-request-handler.js';
export * from './shard/shard-context.js';
export * from './shard/shard-node.js';
export * from './shard/shutdown-signals.js';
export * from './state/activation-lease.js';
export * from './state/kv-state-store.js';
export * from './state/lease-policy.js';
export * from './transport/in-memory-bus.js';
export * from './transport/in-memory-transport.js';
export * from './transport/nats-transport.js';
export * from './transport/subjects.js';
export * from './transport/transport.js';
