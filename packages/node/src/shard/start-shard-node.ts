/**
 * The shard node as `lucent-node` runs it: the {@link ShardNode} shell (which builds the router) routing with
 * membership's live view, membership as its first extension, and the JetStream KV state store for function
 * actors on NATS.
 *
 * ```
 *  MembershipExtension.viewSource (live ring) ─► ShardNode { view, hopLimit } ─► its router places with it
 *  store:  NATS and actor types ─► KvStateStore on the transport's connection
 *          otherwise           ─► MemoryStateStore (or options.store)
 *  ready:  router subscribed ─► membership joined ─► extra extensions ─► node.ready
 * ```
 * A node serves a key it does not own by forwarding it to the owner in its view (counted in
 * `lucent_forwards_total`), at most `hopLimit` times per message. An actor type's or keyed function's keys are
 * placed on a ring of the members that host it (core `placement/host-rings.ts`), so nodes may load different modules.
 *
 * Actors on NATS (KV state) also get activation leases (`LeaseActivationGuard`) and a hand-off
 * (`ActorHandoffExtension`): when the ring changes, a node stops the actors it no longer owns (final save, lease
 * released), and the new owner's activation waits for that lease, so it loads the latest state and one actor
 * runs in one place even while views disagree. A lease has a TTL (`leaseTtlMs`): the node renews all its leases in
 * one batch every `leaseRenewIntervalMs` (`LeaseRenewalExtension`) and stops the actors whose lease it lost; a dead
 * owner's lease is taken over once membership declared it dead or it went unrenewed for the TTL, and the new owner
 * fences the actor's state before loading it (`state-fence.ts`), so the old owner can never write again.
 * Released leases' delete markers are purged every `leaseSweepIntervalMs` (`LeaseSweepExtension`).
 */
import { type ActivationGuard, MemoryStateStore, type StateStore } from '@lucent/actors/internal';
import {
  type Clock,
  type FunctionRegistry,
  NodeUnavailableError,
  PlacementType,
  placeKey,
  systemClock,
} from '@lucent/core/internal';
import type { NodeConfig } from '../config/node-config.js';
import { ActorSubscriptionsExtension } from '../events/actor-subscriptions-extension.js';
import { CloudEventsGateway } from '../gateway/cloud-events-gateway.js';
import { FunctionLatencies } from '../load/function-latency.js';
import { LoadReporterExtension } from '../load/load-reporter.js';
import { RebalancerExtension } from '../load/rebalancer.js';
import type { Logger } from '../logging.js';
import { MembershipExtension, type MembershipExtensionOptions } from '../membership/membership-extension.js';
import { RegistryExtension } from '../registry/registry-extension.js';
import { ReminderExtension, type ReminderExtensionOptions } from '../reminders/reminder-extension.js';
import type { FunctionRunner } from '../router/function-runner.js';
import { idleLoad } from '../router/overload-gate.js';
import type { RoutingRequestHandler } from '../router/request-handler.js';
import { SagaExtension } from '../saga/saga-extension.js';
import { ScheduleExtension } from '../schedule/schedule-extension.js';
import { ActivationLeases } from '../state/activation-lease.js';
import { ActorHandoffExtension } from '../state/actor-handoff.js';
import { KvStateStore } from '../state/kv-state-store.js';
import { LeaseActivationGuard } from '../state/lease-activation-guard.js';
import { LeaseRenewalExtension } from '../state/lease-renewal.js';
import { LeaseSweepExtension } from '../state/lease-sweep.js';
import { fenceState } from '../state/state-fence.js';
import { NatsTransport } from '../transport/nats-transport.js';
import type { Transport } from '../transport/transport.js';
import type { ShardExtension } from './shard-context.js';
import { ShardNode, type ShardNodeOptions } from './shard-node.js';

/** Options of {@link startShardNode}: the shell's (`hopLimit` included), with the view and membership filled in. */
export interface ComposedShardOptions extends Omit<ShardNodeOptions, 'view' | 'extensions'> {
  /** Started after membership, in order. */
  readonly extensions?: readonly ShardExtension[];
  readonly membership?: MembershipExtensionOptions;
  /** The reminder scheduler's settings (window, in-flight bound, delivery timeout); see `ReminderExtension`. */
  readonly reminders?: Omit<ReminderExtensionOptions, 'view'>;
}

/** A started, composed shard: the node and the parts tests and tools look into. */
export interface ComposedShard {
  readonly node: ShardNode;
  readonly membership: MembershipExtension;
  /** The node's router (`node.router`): counters (`stats`) and in-flight work. */
  readonly router: RoutingRequestHandler;
  /** The functions this node serves (`node.context.functions`: `config.functions`, plus deployed versions). */
  readonly functions: FunctionRegistry;
  /** Fires the durable reminders of the partitions this node owns. */
  readonly reminders: ReminderExtension;
  /** The node's load reporter (latest report, reports published). */
  readonly load: LoadReporterExtension;
  /** Rebalancing and scale-in candidacy (ring weight, `scaleInCandidate`). */
  readonly rebalancer: RebalancerExtension;
  /** The deployed registry's part (on NATS), or `undefined`. */
  readonly registry: RegistryExtension | undefined;
}

/**
 * Starts a shard node wired end to end (see the module doc) and resolves once it has joined the cluster and
 * reports ready. Rejects like `ShardNode.start` (whatever had started is shut down first; `ConfigError` with
 * field `functions` when a function module does not load), plus `TimeoutError` / `NodeUnavailableError` when
 * the node hosts actor types on NATS and JetStream does not answer (the server must run with JetStream, `-js`).
 */
export async function startShardNode(options: ComposedShardOptions): Promise<ComposedShard> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const load = idleLoad();
  const latencies = new FunctionLatencies();
  const started: { node?: ShardNode } = {};
  // The router's answers feed calls/s and error rate; the node exists once `ShardNode.start` resolved.
  const reporter = new LoadReporterExtension({
    intervalMs: config.loadReportIntervalMs,
    local: load,
    answers: () => started.node?.router.stats,
    latencies,
  });
  const membership = new MembershipExtension({ load: () => reporter.compact(), ...options.membership });
  const rebalancer = new RebalancerExtension({ reporter, membership, shed: config.rebalance === 'on' });
  const { extensions, membership: _membership, reminders: reminderOptions, ...shell } = options;
  const reminders = new ReminderExtension({ ...reminderOptions, view: membership.viewSource });
  const kv = shouldUseKv(options);
  // With `--actors` the KV store must open (or the start fails); without, only deployed types can need it, and
  // those need JetStream too: a server without it leaves the node on memory state (`kvState.opened` false).
  const kvState = { required: config.actors.length > 0, opened: false };
  const store = options.store ?? (kv ? openKvStore(config, kvState) : undefined);
  const ownLeases = options.activationGuard === undefined && kv;
  const leaseHolder: { guard?: LeaseActivationGuard } = {};
  const activationGuard =
    options.activationGuard ??
    (ownLeases ? openLeaseGuard(config, membership, clock, leaseHolder, kvState) : undefined);
  const leaseParts: ShardExtension[] = activationGuard === undefined ? [] : [new ActorHandoffExtension(membership)];
  // Our KV leases are renewed in one batch per interval, and leave delete markers to purge; a guard passed in
  // brings its own storage and renewal.
  if (ownLeases) {
    leaseParts.push(
      new LeaseRenewalExtension({ intervalMs: config.leaseRenewIntervalMs, clock, renewer: () => leaseHolder.guard }),
      leaseSweep(config, membership, clock, kvState),
    );
  }
  const sagas = new SagaExtension({ view: membership.viewSource, isAlive: (id) => membership.isAlive(id) });
  // Events to actors that subscribe to them (`--actors` and deployed types); a saga's wait wakes when its event is stored.
  const actorSubscriptions = new ActorSubscriptionsExtension({
    view: membership.viewSource,
    onDelivered: (type, id) => sagas.wake(type, id),
  });
  // The deployed registry lives in JetStream: on NATS only. After membership, so the join check comes first.
  const registry = config.nats.length > 0 ? new RegistryExtension({ membership, actorSubscriptions }) : undefined;
  const node = await ShardNode.start({
    ...shell,
    view: membership.viewSource,
    load,
    latencies,
    rebalanceStatus: () => ({ ringWeight: rebalancer.weight, scaleInCandidate: rebalancer.scaleInCandidate }),
    // Cron schedules fire on the ring owner of each schedule's key: they need membership's view.
    // The CloudEvents gateway last: POST /events and the sinks start once the node has joined.
    extensions: [
      reporter,
      membership,
      rebalancer,
      ...(registry === undefined ? [] : [registry]),
      ...leaseParts,
      reminders,
      new ScheduleExtension({ view: membership.viewSource }),
      // Sagas are driven on the ring owner of their actor key.
      sagas,
      actorSubscriptions,
      ...(extensions ?? []),
      new CloudEventsGateway(),
    ],
    ...(registry === undefined ? {} : { wrapRunner: (runner: FunctionRunner) => registry.runner(runner) }),
    ...(store === undefined ? {} : { store }),
    ...(activationGuard === undefined ? {} : { activationGuard }),
  });
  started.node = node;
  const { functions } = node.context;
  return { node, membership, router: node.router, functions, reminders, load: reporter, rebalancer, registry };
}

/**
 * KV state (and activation leases) on every node on NATS: actor types can be deployed at run time to a node started
 * without `--actors`, and their state must be as durable as a static type's.
 */
function shouldUseKv(options: ComposedShardOptions): boolean {
  return options.config.nats.length > 0;
}

/** Whether the node must keep actor state in KV (it has `--actors`) and whether it did open it. */
interface KvState {
  readonly required: boolean;
  opened: boolean;
}

/** Leases in the cluster's KV bucket, judged by this node's membership view. */
function openLeaseGuard(
  config: NodeConfig,
  membership: MembershipExtension,
  clock: Clock,
  holder: { guard?: LeaseActivationGuard },
  kvState: KvState,
): (transport: Transport, logger: Logger) => Promise<ActivationGuard | undefined> {
  return async (transport, logger) => {
    if (!kvState.opened) {
      logger.info({ reason: 'JetStream does not answer; no --actors to host' }, 'state.memory_only');
      return undefined;
    }
    if (!(transport instanceof NatsTransport)) {
      throw new TypeError('activation leases need the node to run on NATS');
    }
    const leases = await ActivationLeases.open(transport.natsConnection, {
      cluster: config.cluster,
      clock,
      replicas: config.natsReplicas,
    });
    // The fence writes the state bucket the actors save to (same cluster bucket as `openKvStore`).
    const state = await KvStateStore.open(transport.natsConnection, {
      cluster: config.cluster,
      replicas: config.natsReplicas,
    });
    holder.guard = new LeaseActivationGuard({
      leases,
      clock,
      owner: config.shard,
      ttlMs: config.leaseTtlMs,
      isAlive: (nodeId) => membership.isAlive(nodeId),
      fence: async (key) => {
        await fenceState(state, key);
      },
      onReleaseError: (key, error) => logger.warn({ err: error, key }, 'actor.lease_release_failed'),
    });
    return holder.guard;
  };
}

/** Purges released leases' markers from the cluster's lease bucket; the node the sweep key is placed on does it. */
function leaseSweep(
  config: NodeConfig,
  membership: MembershipExtension,
  clock: Clock,
  kvState: KvState,
): LeaseSweepExtension {
  return new LeaseSweepExtension({
    intervalMs: config.leaseSweepIntervalMs,
    clock,
    open: async ({ transport }) => {
      if (!kvState.opened) return { purgeReleased: async () => 0 };
      if (!(transport instanceof NatsTransport)) throw new TypeError('activation leases need the node to run on NATS');
      return ActivationLeases.open(transport.natsConnection, {
        cluster: config.cluster,
        clock,
        replicas: config.natsReplicas,
      });
    },
    ownerOf: (key) => {
      const placement = placeKey(key, membership.viewSource.current());
      return placement.type === PlacementType.Node ? placement.node : undefined;
    },
  });
}

/**
 * The node's KV state store. Without `--actors`, a server without JetStream (no responders) leaves the node on a
 * `MemoryStateStore`: the registry needs JetStream as well, so no actor type can be deployed to it.
 */
function openKvStore(config: NodeConfig, kvState: KvState): (transport: Transport) => Promise<StateStore> {
  return async (transport) => {
    if (!(transport instanceof NatsTransport)) {
      throw new TypeError('the KV state store needs the node to run on NATS');
    }
    try {
      const store = await KvStateStore.open(transport.natsConnection, {
        cluster: config.cluster,
        replicas: config.natsReplicas,
      });
      kvState.opened = true;
      return store;
    } catch (error) {
      if (kvState.required || !NodeUnavailableError.is(error)) throw error;
      return new MemoryStateStore();
    }
  };
}
