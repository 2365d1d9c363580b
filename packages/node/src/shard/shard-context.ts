/**
 * The seam between the shard node shell and the parts that plug into it (router, membership, state store).
 *
 * ```
 *  ShardNode.start ─► transport, pool, actors, metrics, logger ─► ShardContext
 *        │                                                            │
 *        ├─ handler = options.handler?.(context) ?? LocalRequestHandler │
 *        │    subscribed on nodeSubject(cluster, id)                    │
 *        │    and functionSubject(cluster, fn) (queue group) per function
 *        └─ extensions[i].start(context), in order ─► ready (node.ready)
 * ```
 * Shutdown calls the hooks in reverse: `beginShutdown` (announce leaving) → unsubscribe → `handler.drain()`
 * (bounded by `drainTimeoutMs`) → `stop` → actors, pool, transport, HTTP.
 */
import type { AnyActorDefinition, FunctionActors, LocalActorSystem, StateStore } from '@lucent/actors';
import type { Clock, EnvelopeCodec } from '@lucent/core';
import type { NodeConfig } from '../config/node-config.js';
import type { Logger } from '../logging.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { FunctionPool } from '../pool/function-pool.js';
import type { Replier, Transport, TransportSubscription } from '../transport/transport.js';

/** Everything a shard node owns, handed to its request handler and extensions once started. */
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
  /** Plain function names the pool serves (no `@version` references); each has a `functionSubject` queue group. */
  readonly functionNames: readonly string[];
  readonly actors: FunctionActors<readonly AnyActorDefinition[]>;
  /** Actor types loaded from `--actors`. */
  readonly actorTypes: readonly string[];
  readonly actorSystem: LocalActorSystem;
  readonly store: StateStore;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  /** The node's time source (`ShardNodeOptions.clock`, default `systemClock`); extensions schedule on it. */
  readonly clock: Clock;
}

/**
 * Serves the frames that reach the node: its direct subject and the queue groups of its functions. The router
 * implements this; until then the node uses `LocalRequestHandler`.
 */
export interface RequestHandler {
  /**
   * Called once per received frame, on the node's thread, in arrival order per sender and subject. Must not
   * throw for bad input (answer with an error envelope instead); a throw is logged and counted. `replier` is
   * `undefined` for one-way frames. The frame is a view: copy it to keep it past the call.
   */
  handle(frame: Uint8Array, replier: Replier | undefined): void;
  /**
   * Subscribes the handler itself and returns the subscriptions, which the node unsubscribes at shutdown. For a
   * handler that serves more subjects than the default set (event subjects; re-subscribing when the registry
   * changes is then its own business). Optional: without it the node subscribes `handle` on
   * `nodeSubject(cluster, id)` and, in queue group `lucent-fn`, on `functionSubject(cluster, name)` of every
   * name in `context.functionNames`.
   */
  subscribe?(transport: Transport): TransportSubscription[];
  /**
   * Resolves when every request accepted so far has been answered. Shutdown calls it after unsubscribing and
   * waits at most `drainTimeoutMs`. Optional: without it the node assumes nothing is in flight.
   */
  drain?(): Promise<void>;
}

/** Builds the request handler once the context exists (the router needs the transport, pool and actors). */
export type RequestHandlerFactory = (context: ShardContext) => RequestHandler;

/**
 * A part with a lifecycle tied to the node's: membership (join on start, leave on `beginShutdown`), a KV
 * watcher, a load reporter. A hook that throws or rejects fails `ShardNode.start` (start) or is logged (the
 * shutdown hooks, which must not stop the rest of the shutdown).
 */
export interface ShardExtension {
  /** For logs. */
  readonly name: string;
  /** Runs after the handler is subscribed and before the node reports ready; ready waits for it. */
  start(context: ShardContext): void | Promise<void>;
  /** Runs first in shutdown, right after the node stops reporting ready and before it unsubscribes. */
  beginShutdown?(): void | Promise<void>;
  /** Runs after in-flight work drained, before actors, pool and transport close. */
  stop?(): void | Promise<void>;
}
