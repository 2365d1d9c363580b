/**
 * The seam between the shard node shell and the parts that plug into it (membership, hand-off, lease sweep).
 *
 * ```
 *  ShardNode.start ─► transport, registry, pool, actors, metrics, logger ─► ShardContext
 *        │                                                                      │
 *        ├─ router (the one request handler) built from the context,             │
 *        │    subscribed on the node, function and event subjects               │
 *        └─ extensions[i].start(context), in order ─► ready (node.ready)
 * ```
 * Shutdown calls the hooks in reverse: `beginShutdown` (announce leaving) → unsubscribe → `router.drain()`
 * (bounded by `drainTimeoutMs`) → `stop` → actors stopped (final saves) → `afterActorsStopped` → pool,
 * transport, HTTP.
 */
import type { AnyActorDefinition, FunctionActors, LocalActorSystem, StateStore } from '@lucent/actors/internal';
import type { Clock, EnvelopeCodec, FunctionRegistry } from '@lucent/core/internal';
import type { NodeConfig } from '../config/node-config.js';
import type { HttpRoutes } from '../http/node-http-server.js';
import type { Logger } from '../logging.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { FunctionPool } from '../pool/function-pool.js';
import type { Transport } from '../transport/transport.js';

/** Everything a shard node owns, handed to its router and extensions once started. */
export interface ShardContext {
  readonly config: NodeConfig;
  /** The node id (`config.shard`). */
  readonly nodeId: string;
  readonly cluster: string;
  /** Connected; closed by the node at the end of shutdown (do not close it yourself). */
  readonly transport: Transport;
  /** `'nats'` with `--nats` servers, `'memory'` for the standalone in-memory bus. */
  readonly transportKind: 'nats' | 'memory';
  readonly codec: EnvelopeCodec;
  /** The function pool, or `undefined` when no `--functions` were given. */
  readonly pool: FunctionPool | undefined;
  /**
   * The functions of `--functions`, loaded once on this thread (empty without them): the router's and the
   * pool's metadata.
   */
  readonly functions: FunctionRegistry;
  readonly actors: FunctionActors<readonly AnyActorDefinition[]>;
  /** Actor types loaded from `--actors`. */
  readonly actorTypes: readonly string[];
  readonly actorSystem: LocalActorSystem;
  readonly store: StateStore;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  /** The node's time source (`ShardNodeOptions.clock`, default `systemClock`); extensions schedule on it. */
  readonly clock: Clock;
  /** Routes on the node's HTTP port (`/events` of the CloudEvents gateway); absent where no HTTP server runs. */
  readonly httpRoutes?: HttpRoutes;
  /**
   * Subscribes the router on function `name`'s queue group, for a function added to `functions` after start
   * (the deployed registry). Idempotent; nothing once the node stops.
   */
  readonly serveFunction?: (name: string) => void;
  /**
   * Brings the node's durable event consumers in line with `functions` after a change (the deployed registry
   * loaded, enabled, disabled or retired versions): starts the event log and consumers on the first handler,
   * serves new handlers and stops serving those gone. Calls run one at a time, in order; nothing once the node
   * stops. Rejects when the event log does not answer (call again later).
   */
  readonly refreshEvents?: () => Promise<void>;
}

/**
 * A part with a lifecycle tied to the node's: membership (join on start, leave on `beginShutdown`), a KV
 * watcher, a load reporter. A hook that throws or rejects fails `ShardNode.start` (start) or is logged (the
 * shutdown hooks, which must not stop the rest of the shutdown).
 */
export interface ShardExtension {
  /** For logs. */
  readonly name: string;
  /** Runs after the router is subscribed and before the node reports ready; ready waits for it. */
  start(context: ShardContext): void | Promise<void>;
  /** Runs first in shutdown, right after the node stops reporting ready and before it unsubscribes. */
  beginShutdown?(): void | Promise<void>;
  /** Runs after in-flight work drained, before actors, pool and transport close. */
  stop?(): void | Promise<void>;
  /**
   * Runs once the actors have stopped (each saved its final snapshot and gave its lease back), before the pool
   * and the transport close: for what the actors' final saves depend on, such as lease renewal, which must go on
   * until the last lease is released or a drain slower than the lease TTL would be fenced out.
   */
  afterActorsStopped?(): void | Promise<void>;
}
