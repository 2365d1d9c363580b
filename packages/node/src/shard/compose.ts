/**
 * The shard node as `lucent-node` runs it: the {@link ShardNode} shell with the router as its request handler,
 * membership as its first extension, and the JetStream KV state store for function actors on NATS.
 *
 * ```
 *  config.functions ─► registry (metadata, main thread) ─┐
 *                                                        ├─► RoutingRequestHandler(pool as runner, actors,
 *  MembershipExtension.viewSource (live ring) ───────────┘       view, hop limit, metrics observer)
 *                                                                 subscribed on node / fn / event subjects
 *  store:  NATS and actor types ─► KvStateStore on the transport's connection
 *          otherwise           ─► MemoryStateStore (or options.store)
 *  ready:  handler subscribed ─► membership joined ─► extra extensions ─► node.ready
 * ```
 * A node serves a key it does not own by forwarding it to the owner in its view (counted in
 * `lucent_forwards_total`), at most `hopLimit` times per message. The ring spans every member, so every node
 * of a cluster should load the same `--functions` and `--actors` (a key's owner must be able to serve it).
 *
 * Actors on NATS (KV state) also get activation leases (`LeaseActivationGuard`) and a hand-off
 * (`ActorHandoffExtension`): when the ring changes, a node stops the actors it no longer owns (final save, lease
 * released), and the new owner's activation waits for that lease, so it loads the latest state and one actor
 * runs in one place even while views disagree. A dead owner's leases are taken over once membership has
 * declared it dead. Released leases' delete markers are purged every `leaseSweepIntervalMs` (`LeaseSweepExtension`).
 */
import type { ActivationGuard, StateStore } from '@lucent/actors';
import { type Clock, ConfigError, type FunctionRegistry, systemClock } from '@lucent/core';
import type { NodeConfig } from '../config/node-config.js';
import type { Logger } from '../logging.js';
import { createNodeLogger } from '../logging.js';
import { loadRegistry } from '../pool/catalog.js';
import { toModuleUrl } from '../pool/worker-location.js';
import { createInlineRunner, type FunctionRunner } from '../router/function-runner.js';
import { createRequestHandler, type RoutingRequestHandler } from '../router/request-handler.js';
import { subscribeRequestHandler } from '../router/router-subscriptions.js';
import { ActivationLeases } from '../state/activation-lease.js';
import { KvStateStore } from '../state/kv-state-store.js';
import { LeaseActivationGuard } from '../state/lease-activation-guard.js';
import { NatsTransport } from '../transport/nats-transport.js';
import type { Transport } from '../transport/transport.js';
import { ActorHandoffExtension } from './actor-handoff.js';
import { LeaseSweepExtension } from './lease-sweep.js';
import { MembershipExtension, type MembershipExtensionOptions } from './membership-extension.js';
import { RouterMetricsObserver } from './router-metrics.js';
import type { RequestHandler, ShardContext, ShardExtension } from './shard-context.js';
import { ShardNode, type ShardNodeOptions } from './shard-node.js';

/** Options of {@link startShardNode}: the shell's, with the router and membership filled in. */
export interface ComposedShardOptions extends Omit<ShardNodeOptions, 'handler' | 'extensions'> {
  /** Started after membership, in order. */
  readonly extensions?: readonly ShardExtension[];
  readonly membership?: MembershipExtensionOptions;
  /** Most forwards per message (default the router's, 3). */
  readonly hopLimit?: number;
}

/** A started, composed shard: the node and the parts tests and tools look into. */
export interface ComposedShard {
  readonly node: ShardNode;
  readonly membership: MembershipExtension;
  /** The node's router: counters (`stats`) and in-flight work. */
  readonly router: RoutingRequestHandler;
  /** The functions this node serves (the registry built from `config.functions`). */
  readonly functions: FunctionRegistry;
}

/**
 * Starts a shard node wired end to end (see the module doc) and resolves once it has joined the cluster and
 * reports ready. Rejects like `ShardNode.start` (whatever had started is shut down first), plus: with the
 * function modules' import error, and with `TimeoutError` / `NodeUnavailableError` when the node hosts actor
 * types on NATS and JetStream does not answer (the server must run with JetStream, `-js`).
 */
export async function startShardNode(options: ComposedShardOptions): Promise<ComposedShard> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  // The pool's workers import the same modules; here they give the router names, `shardBy` and handlers.
  const functions = await loadFunctions(options);
  const membership = new MembershipExtension(options.membership);
  let router: RoutingRequestHandler | undefined;
  const handler = (context: ShardContext): RequestHandler => {
    const created = createRequestHandler({
      nodeId: context.nodeId,
      cluster: context.cluster,
      transport: context.transport,
      functions,
      runner: runnerOf(context, functions),
      actors: context.actors,
      view: membership.viewSource,
      codec: context.codec,
      clock,
      ...(options.hopLimit === undefined ? {} : { hopLimit: options.hopLimit }),
      observer: new RouterMetricsObserver(context.metrics, context.logger),
    });
    router = created;
    return {
      handle: created.handle,
      drain: () => created.drain(),
      subscribe: (transport: Transport) =>
        subscribeRequestHandler(transport, created.handle, {
          cluster: context.cluster,
          nodeId: context.nodeId,
          functions,
        }),
    };
  };
  const { extensions, membership: _membership, hopLimit: _hopLimit, ...shell } = options;
  const kv = shouldUseKv(options);
  const store = options.store ?? (kv ? openKvStore(config.cluster) : undefined);
  const ownLeases = options.activationGuard === undefined && kv;
  const activationGuard =
    options.activationGuard ?? (ownLeases ? openLeaseGuard(config, membership, clock) : undefined);
  const leaseParts: ShardExtension[] = activationGuard === undefined ? [] : [new ActorHandoffExtension(membership)];
  // Our KV leases leave delete markers to purge; a guard passed in brings its own storage.
  if (ownLeases) leaseParts.push(leaseSweep(config, membership, clock));
  const node = await ShardNode.start({
    ...shell,
    handler,
    extensions: [membership, ...leaseParts, ...(extensions ?? [])],
    ...(store === undefined ? {} : { store }),
    ...(activationGuard === undefined ? {} : { activationGuard }),
  });
  if (router === undefined) throw new TypeError('ShardNode started without building its request handler');
  return { node, membership, router, functions };
}

/**
 * The registry of `config.functions`. An import failure becomes `ConfigError` (field `functions`), logged as
 * `node.start_failed` like the shell's own start failures (the shell has not started yet).
 */
async function loadFunctions(options: ComposedShardOptions): Promise<FunctionRegistry> {
  const { config } = options;
  try {
    return await loadRegistry(config.functions.map(toModuleUrl));
  } catch (cause) {
    const reason = `cannot load function modules: ${cause instanceof Error ? cause.message : String(cause)}`;
    const error = ConfigError.is(cause)
      ? cause
      : new ConfigError({ subject: 'lucent-node option --functions', field: 'functions', reason }, { cause });
    const logger = options.logger ?? createNodeLogger({ nodeId: config.shard, level: config.logLevel });
    logger.error({ err: error }, 'node.start_failed');
    throw error;
  }
}

/** The pool when the node has one; else a runner over the (empty) registry that answers `UnknownFunctionError`. */
function runnerOf(context: ShardContext, functions: FunctionRegistry): FunctionRunner {
  return context.pool ?? createInlineRunner(functions, { clock: context.clock });
}

/** KV state only where it can persist anything: on NATS, with actor types to host. */
function shouldUseKv(options: ComposedShardOptions): boolean {
  return options.config.nats.length > 0 && options.config.actors.length > 0;
}

/** Leases in the cluster's KV bucket, judged by this node's membership view. */
function openLeaseGuard(
  config: NodeConfig,
  membership: MembershipExtension,
  clock: Clock,
): (transport: Transport, logger: Logger) => Promise<ActivationGuard> {
  return async (transport, logger) => {
    if (!(transport instanceof NatsTransport)) {
      throw new TypeError('activation leases need the node to run on NATS');
    }
    const leases = await ActivationLeases.open(transport.natsConnection, { cluster: config.cluster, clock });
    return new LeaseActivationGuard({
      leases,
      clock,
      owner: config.shard,
      isAlive: (nodeId) => membership.isAlive(nodeId),
      onReleaseError: (key, error) => logger.warn({ err: error, key }, 'actor.lease_release_failed'),
    });
  };
}

/** Purges released leases' markers from the cluster's lease bucket; the ring owner of the sweep key does it. */
function leaseSweep(config: NodeConfig, membership: MembershipExtension, clock: Clock): LeaseSweepExtension {
  return new LeaseSweepExtension({
    intervalMs: config.leaseSweepIntervalMs,
    clock,
    open: ({ transport }) => {
      if (!(transport instanceof NatsTransport)) throw new TypeError('activation leases need the node to run on NATS');
      return ActivationLeases.open(transport.natsConnection, { cluster: config.cluster, clock });
    },
    ownerOf: (key) => {
      const view = membership.viewSource.current();
      return view === undefined || view.members.length === 0 ? undefined : view.ring.owner(key);
    },
  });
}

function openKvStore(cluster: string): (transport: Transport) => Promise<StateStore> {
  return (transport) => {
    if (!(transport instanceof NatsTransport)) {
      throw new TypeError('the KV state store needs the node to run on NATS');
    }
    return KvStateStore.open(transport.natsConnection, { cluster });
  };
}
