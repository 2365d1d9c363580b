/**
 * @lucent/node: everything that does I/O.
 *
 * This entry is the public API:
 * - run a shard: `startShardNode` (what `lucent-node` runs) with a `NodeConfig` from `resolveNodeConfig` or
 *   `defaultNodeConfig`; extensions hook into its start and shutdown
 * - talk to a cluster: `connectCluster` (routes with a membership view), `connect` / `createClient` (`call`,
 *   `actor(...).tell/ask`, `emit`)
 * - test against real nodes in one process: `createTestCluster`
 * The parts (transports, membership, router, pool, KV state, leases, metrics, process harness) are reachable by
 * sibling packages and tests only, through `@lucent/node/internal`.
 */

// Talking to a cluster.
export { ActorHandle } from './client/actor-handle.js';
export { DEFAULT_CLIENT_TIMEOUT_MS, type EmitOptions, type RequestOptions } from './client/client-core.js';
export { type ClusterClient, type ClusterClientOptions, connectCluster } from './client/cluster-client.js';
export type { DelayedTellOptions } from './client/delayed-tell.js';
export type {
  EventHandler,
  EventStream,
  EventStreamOptions,
  EventSubscription,
  LucentEvent,
} from './client/event-subscription.js';
export {
  type ClientOptions,
  type ConnectOptions,
  connect,
  createClient,
  LucentClient,
} from './client/lucent-client.js';
export type { MessageContextOptions } from './client/message-context.js';
export { SagaClient, SagaHandle, type SagaProgress, type SagaStartOptions } from './client/saga-client.js';
export type {
  GatherOptions,
  GatherResult,
  PartialFailurePolicy,
  ScatterOptions,
  ScatterResult,
  ShardError,
  ShardResult,
} from './client/scatter-gather.js';
// Running a shard.
export { defaultNodeConfig, type NodeConfig } from './config/node-config.js';
export { resolveNodeConfig } from './config/resolve-config.js';
export type { DeadLetter, DeadLetterError, DeadLetterRecord } from './events/dead-letter.js';
export { type DeadLetterListOptions, DeadLetters, EventsAdmin } from './events/events-admin.js';
export { createNodeLogger, type Logger } from './logging.js';
export type { PoolSupervisionOptions } from './pool/pool-restart-policy.js';
export { POOL_RESTARTING_REASON } from './pool/supervised-pool.js';
// The deployed registry from code (`lucent deploy`, `enable`, `disable`, `weight`, `rollback` do the same).
export { type DeployOptions, type DeployResult, deployModule } from './registry/deploy.js';
export type { DeployedVersion, FunctionRecord } from './registry/function-record.js';
export { defaultModuleCacheDir } from './registry/module-bundle.js';
export { type RecordEdit, rollback, setEnabled, setWeight } from './registry/registry-edits.js';
export { RegistryStore, type RegistryStoreOptions } from './registry/registry-store.js';
export { completedEventType, failedEventType } from './router/event-dispatcher.js';
// Sagas: effect handlers for `--effects` modules.
export { defineEffect, type EffectContext, type EffectDefinition, type EffectSpec } from './saga/effects.js';
export { SAGA_DEAD_LETTER_TYPE } from './saga/saga-extension.js';
export type { ShardContext, ShardExtension } from './shard/shard-context.js';
export { ShardNode, type ShardNodeOptions } from './shard/shard-node.js';
export { handleShutdownSignals } from './shard/shutdown-signals.js';
export { type ComposedShard, type ComposedShardOptions, startShardNode } from './shard/start-shard-node.js';
// Testing.
export {
  createTestCluster,
  type TestCluster,
  type TestClusterNode,
  type TestClusterOptions,
} from './testing/test-cluster.js';
export { InMemoryBus } from './transport/in-memory-bus.js';
export { InMemoryTransport } from './transport/in-memory-transport.js';
export { type NatsAuth, natsAuthFromEnv } from './transport/nats-auth.js';
export type { ReplyReceiver, Transport } from './transport/transport.js';
