/** Internals for sibling packages, tests and benches; not part of the public API (blocked for users by `exports`). */

export * from './client/client-core.js';
export * from './config/option-values.js';
export * from './http/node-http-server.js';
export * from './index.js';
export * from './membership/heartbeat.js';
export * from './membership/membership-view.js';
export * from './metrics/metric-families.js';
export * from './router/as-lucent-error.js';
export * from './router/event-dispatcher.js';
export * from './router/in-flight.js';
export * from './router/subject-cache.js';
export * from './shard/actor-modules.js';
export * from './shard/router-metrics.js';
export * from './shard/settle-within.js';
export * from './state/kv-keys.js';
export * from './state/kv-value-codec.js';
export * from './state/revisioned-kv.js';
export * from './testing/crashable-state-store.js';
export * from './testing/nats-server.js';
export * from './testing/node-process.js';
export * from './transport/framed-transport.js';
export * from './transport/frames.js';
export * from './transport/outbound-queue.js';
export * from './transport/pending-requests.js';
