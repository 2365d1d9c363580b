/**
 * One shard node: owns the transport, the function registry and pool, the function actors, the router, metrics,
 * logs and the HTTP endpoints, and wires {@link ShardExtension}s to them (see `shard-context.ts`).
 *
 * ```
 *  start:    HTTP (live, not ready) → transport → registry (once) → actor system → supervisor (pool, actors)
 *            → router subscribed (node, function and event subjects) → extensions → ready
 *  shutdown: not ready → extensions.beginShutdown → unsubscribe → router.drain (≤ drainTimeoutMs)
 *            → extensions.stop → actors.stopAll, system.terminate → extensions.afterActorsStopped
 *            → pool.close → transport.close → HTTP close
 *  (lease renewal stops only at afterActorsStopped: a drain longer than the lease TTL keeps its leases, so no
 *   other node fences the actors' final saves out)
 *  fatal:    the supervisor gave up on the pool → node.fatal logged → shutdown → options.onFatalStop(reason)
 * ```
 * The router is the node's one request handler: it serves what it owns and forwards the rest by `view`
 * (without a view, everything is served here). The pool and the function actors belong to the shard's
 * supervisor actor (`shard-supervisor.ts`), which restarts a pool that died; the context's `pool` is its
 * stable `SupervisedPool`.
 */
import {
  type ActivationGuard,
  createActorSystem,
  createFunctionActors,
  type LocalActorSystem,
  MemoryStateStore,
  type StateStore,
} from '@lucent/actors/internal';
import {
  type Clock,
  ConfigError,
  EnvelopeCodec,
  type FunctionRegistry,
  functionSubject,
  type LucentError,
  systemClock,
  type ViewSource,
} from '@lucent/core/internal';
import type { RebalanceStatus } from '../admin-service/admin-protocol.js';
import { NodeAdminService } from '../admin-service/node-admin-service.js';
import { nodePackageVersion } from '../config/load-config.js';
import { natsAuthOf } from '../config/nats-auth-config.js';
import type { NodeConfig } from '../config/node-config.js';
import { DurableEventConsumers } from '../events/durable-event-consumers.js';
import { eventLogFor } from '../events/event-log-for.js';
import { type GrpcGateway, startGrpcGatewayFor } from '../gateway/grpc-gateway.js';
import { HealthMonitor } from '../http/health-monitor.js';
import { NodeHttpServer } from '../http/node-http-server.js';
import { TransportHealth } from '../http/transport-health.js';
import { type FunctionLatencies, withFunctionLatencies } from '../load/function-latency.js';
import { LogThrottle, SUPPRESS } from '../log-throttle.js';
import { createNodeLogger, type LogDestination, type Logger } from '../logging.js';
import { ActorMailboxMetrics } from '../metrics/actor-mailbox-metrics.js';
import { EventMetrics } from '../metrics/event-metrics.js';
import { NodeMetrics } from '../metrics/node-metrics.js';
import { RouterMetricsObserver } from '../metrics/router-metrics.js';
import { loadActorDefinitions } from '../modules/load-actor-definitions.js';
import { loadFunctionModules } from '../modules/load-function-modules.js';
import { createFunctionPool } from '../pool/function-pool.js';
import type { PoolSupervisionOptions } from '../pool/pool-restart-policy.js';
import { reminderStoreFor } from '../reminders/reminder-store-for.js';
import { ReminderWriter } from '../reminders/reminder-writer.js';
import { createInlineRunner, type FunctionRunner } from '../router/function-runner.js';
import type { LocalLoad } from '../router/overload-gate.js';
import { createRequestHandler, type RoutingRequestHandler } from '../router/request-handler.js';
import { FUNCTION_QUEUE_GROUP, subscribeRequestHandler } from '../router/router-subscriptions.js';
import { connectWithRetry } from '../transport/connect-retry.js';
import { connectionStatusLogger } from '../transport/connection-status-log.js';
import { InMemoryBus } from '../transport/in-memory-bus.js';
import { InMemoryTransport } from '../transport/in-memory-transport.js';
import { NatsTransport } from '../transport/nats-transport.js';
import type { FlushScheduler, Transport, TransportSubscription } from '../transport/transport.js';
import { type DrainReport, drainReport } from './drain-report.js';
import { nodeRunEffects } from './node-run-effects.js';
import { settleWithin } from './settle-within.js';
import type { ShardContext, ShardExtension } from './shard-context.js';
import { ShardSupervisor } from './shard-supervisor.js';

/**
 * When the node's transport publishes what it queued: after the microtasks of the current turn instead of the
 * transport's default `setImmediate`. A reply then leaves as soon as the work that produced it is done (a call
 * served inline is answered within the read callback that brought it), without waiting for the rest of the poll
 * phase and the check phase. Replies produced together still share one message per destination: those to one
 * wire message's requests served inline (enqueued synchronously), and those to one pool batch (its calls' promise
 * reactions are all queued before the first of them enqueues its reply and asks for the flush).
 */
const FLUSH_AT_TURN_END: FlushScheduler = (flush) => queueMicrotask(flush);

/** Options of {@link ShardNode.start}: the resolved config plus the seams tests and embedders replace. */
export interface ShardNodeOptions {
  readonly config: NodeConfig;
  /** Default: a pino logger on stdout at `config.logLevel` (or on `logDestination`). */
  readonly logger?: Logger;
  readonly logDestination?: LogDestination;
  /** Standalone mode's bus (no `config.nats`); pass one bus to several in-process nodes to connect them. */
  readonly bus?: InMemoryBus;
  /**
   * The live cluster view the router places keys with (membership's `viewSource`); default none: everything
   * is served here.
   */
  readonly view?: ViewSource;
  /** Most forwards per message (default the router's, 3). */
  readonly hopLimit?: number;
  /** This node's live load, written by its load reporter; the router refuses owned calls at >= 0.9. */
  readonly load?: LocalLoad;
  /** Records the run time of every call served here (degradation, `load/function-latency.ts`). */
  readonly latencies?: FunctionLatencies;
  /** Started in order after the router is subscribed; the node is ready once all have started. */
  readonly extensions?: readonly ShardExtension[];
  /** The actor state store; default a `MemoryStateStore`. Receives the connected transport. */
  readonly store?: (transport: Transport) => StateStore | Promise<StateStore>;
  /**
   * Claims actor activations across nodes (KV leases on NATS); default none. Receives the connected transport
   * and the node's logger.
   */
  readonly activationGuard?: (
    transport: Transport,
    logger: Logger,
  ) => ActivationGuard | undefined | Promise<ActivationGuard | undefined>;
  /** Interface the HTTP server binds (default all). */
  readonly httpHost?: string;
  /** Collect Node.js process metrics into the node's registry (default true). */
  readonly processMetrics?: boolean;
  /**
   * Restart budget and backoff of the function pool; fields set here override `config.poolMaxRestarts` and
   * `config.poolRestartWindowMs` (backoff default in `pool-restart-policy.ts`).
   */
  readonly poolSupervision?: PoolSupervisionOptions;
  /**
   * Called once after a fatal stop finished (the pool could not be kept alive; the node logged `node.fatal`
   * and shut down). `lucent-node` exits with `EXIT_FATAL` here. Default: nothing (the node is just stopped).
   */
  readonly onFatalStop?: (reason: string) => void;
  /**
   * The node's time source, handed to the pool, the actor system, the extensions (`context.clock`: membership,
   * lease sweep, leases) and, when given, the transport's request deadlines. Default `systemClock`.
   */
  readonly clock?: Clock;
  /**
   * Called once after a drain (`drain()`, the admin `drain` op of `lucent drain`) finished the shutdown.
   * `lucent-node` exits 0 here, as after SIGTERM. Default: nothing (the node is just stopped).
   */
  readonly onDrained?: () => void;
  /** What the admin `status` answer adds about rebalancing (ring weight, scale-in candidacy). */
  readonly rebalanceStatus?: () => RebalanceStatus;
  /** Puts a runner in front of the node's (deployed versions: `registry/registry-extension.ts`). */
  readonly wrapRunner?: (runner: FunctionRunner) => FunctionRunner;
  /**
   * Aborting it during start-up stops waiting for NATS (`--nats-connect-timeout-ms` may be forever): the start
   * then rejects with `CancelledError`. `lucent-node` aborts it on SIGTERM/SIGINT.
   */
  readonly startSignal?: AbortSignal;
}

/** A running shard node. Create with {@link ShardNode.start}; stop with {@link ShardNode.shutdown}. */
export class ShardNode {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  readonly clock: Clock;
  #http: NodeHttpServer | undefined = undefined;
  #grpc: GrpcGateway | undefined = undefined;
  #context: ShardContext | undefined = undefined;
  #router: RoutingRequestHandler | undefined = undefined;
  #extensions: ShardExtension[] = [];
  /** Function names the router is subscribed on (their queue groups). */
  readonly #servedFunctions = new Set<string>();
  #subscriptions: TransportSubscription[] = [];
  readonly #logThrottle: LogThrottle;
  #ready = false;
  #stopping = false;
  readonly #health: TransportHealth;
  readonly #liveness: HealthMonitor;
  readonly #startedAt: number;
  #admin: NodeAdminService | undefined = undefined;
  #shutdown: Promise<void> | undefined = undefined;
  // Parts as they come up, so a failed start can close exactly what it opened.
  #transport: Transport | undefined = undefined;
  #actorSystem: LocalActorSystem | undefined = undefined;
  #supervisor: ShardSupervisor | undefined = undefined;
  #fatalReason: string | undefined = undefined;
  /** Set once the first pool has proven a worker can load the modules (start); restarts do not wait for it. */
  #poolStarted = false;
  #events: DurableEventConsumers | undefined = undefined;
  /** The runner durable events run through (the router's), for consumers started after start. */
  #eventRunner: FunctionRunner | undefined = undefined;
  /** The event refresh under way: refreshes run one at a time. */
  #eventsRefresh: Promise<void> = Promise.resolve();
  /** Where functions' log records and events go (`node-run-effects.ts`). */
  #runEffects: ReturnType<typeof nodeRunEffects> | undefined = undefined;
  /** Settles when `#start` did; a fatal stop during start waits for it. */
  #starting: Promise<void> = Promise.resolve();
  readonly #onFatalStop: ((reason: string) => void) | undefined;
  readonly #onDrained: (() => void) | undefined;
  readonly #rebalanceStatus: (() => RebalanceStatus) | undefined;
  /** The live view, for the new owners a drain reports. */
  #view: ViewSource | undefined = undefined;
  /** Told what the shutdown handed off, once the actors stopped (`drain`). */
  #onHandedOff: ((report: DrainReport) => Promise<void>) | undefined = undefined;

  private constructor(options: ShardNodeOptions) {
    this.config = options.config;
    this.#onFatalStop = options.onFatalStop;
    this.#onDrained = options.onDrained;
    this.#rebalanceStatus = options.rebalanceStatus;
    this.#view = options.view;
    this.clock = options.clock ?? systemClock;
    this.#logThrottle = new LogThrottle({ clock: this.clock });
    this.#health = new TransportHealth(this.clock);
    this.#startedAt = this.clock.wallNow();
    const config = options.config;
    this.#liveness = new HealthMonitor({
      clock: this.clock,
      policy: {
        maxErrorRate: config.healthMaxErrorRatePercent / 100,
        windowMs: config.healthWindowMs,
        minRequests: config.healthMinRequests,
        maxEventLoopDelayMs: config.healthMaxEventLoopDelayMs,
      },
      counters: () => this.#router?.stats,
    });
    this.logger =
      options.logger ??
      createNodeLogger({
        nodeId: options.config.shard,
        level: options.config.logLevel,
        ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
      });
    this.metrics = new NodeMetrics({ nodeId: options.config.shard, processMetrics: options.processMetrics ?? true });
  }

  /**
   * Starts every part and resolves once the node is ready (after logging `node.ready`). Rejects when a part
   * fails to start (`ConfigError` for a port in use or a bad module, `NodeUnavailableError` when NATS is
   * unreachable, an extension's error); whatever had started is shut down first.
   */
  static async start(options: ShardNodeOptions): Promise<ShardNode> {
    const node = new ShardNode(options);
    try {
      node.#starting = node.#start(options);
      await node.#starting;
    } catch (error) {
      node.logger.error({ err: error }, 'node.start_failed');
      await node.shutdown('start failed');
      throw error;
    }
    return node;
  }

  /**
   * True from the end of `start` until shutdown begins, while the transport is connected; `/readyz` answers 200
   * exactly then.
   */
  get isReady(): boolean {
    return this.#ready && this.#health.connected;
  }

  /** Why {@link isReady} is false (`/readyz` and `/healthz` say it), or `undefined` when ready. */
  notReadyReason(): string | undefined {
    if (this.#stopping) return 'shutting down';
    if (!this.#ready) return 'starting';
    return this.#health.reason();
  }

  /** The bound HTTP port (the real one when `httpPort` was 0). */
  get httpPort(): number {
    return this.#http?.port ?? -1;
  }

  /** The gRPC gateway (`--grpc-port`), or `undefined` when off. */
  get grpc(): GrpcGateway | undefined {
    return this.#grpc;
  }

  /** Why the node stopped fatally (its pool could not be kept alive), or `undefined`. */
  get fatalReason(): string | undefined {
    return this.#fatalReason;
  }

  /** The parts, for tests and tools. Throws `TypeError` before `start` finished. */
  get context(): ShardContext {
    if (this.#context === undefined) throw new TypeError('ShardNode is not started');
    return this.#context;
  }

  /** The node's request handler: counters (`stats`) and in-flight work. Throws `TypeError` before `start` finished. */
  get router(): RoutingRequestHandler {
    if (this.#router === undefined) throw new TypeError('ShardNode is not started');
    return this.#router;
  }

  /**
   * Graceful shutdown in the order of the module diagram. Each step's failure is logged and does not stop the
   * next. Idempotent: later calls return the same promise. Never rejects.
   */
  shutdown(reason = 'shutdown'): Promise<void> {
    this.#shutdown ??= this.#stop(reason);
    return this.#shutdown;
  }

  /**
   * The operator's drain (`lucent drain <node>`, Akka's and Orleans' "leave, then exit"): the graceful shutdown,
   * with `onHandedOff` told what moved once every actor has saved its final snapshot and given its lease back
   * (awaited, bounded by `drainTimeoutMs`, while the transport is still open: the admin reply goes out there);
   * then the shutdown finishes and `onDrained` runs. Returns false, and calls nothing, when a shutdown is already
   * under way.
   */
  drain(onHandedOff: (report: DrainReport) => Promise<void>): boolean {
    if (this.#shutdown !== undefined) return false;
    this.#onHandedOff = onHandedOff;
    void this.shutdown('drain').then(() => this.#onDrained?.());
    return true;
  }

  async #start(options: ShardNodeOptions): Promise<void> {
    const { config, logger } = this;
    this.#liveness.start();
    this.#http = await NodeHttpServer.start({
      port: config.httpPort,
      ...(options.httpHost === undefined ? {} : { host: options.httpHost }),
      source: {
        isReady: () => this.isReady,
        notReadyReason: () => this.notReadyReason(),
        health: () => this.#liveness.verdict(),
        metricsText: () => this.metrics.text(),
        metricsContentType: this.metrics.contentType,
      },
      onError: (error) => logger.warn({ err: error }, 'metrics.collect_failed'),
    });
    // Listening before the join, so probes see NOT_SERVING rather than a refused connection (gateway/).
    this.#grpc = await startGrpcGatewayFor(config, {
      logger,
      clock: this.clock,
      registry: this.metrics.registry,
      isReady: () => this.isReady,
    });
    const transportKind = config.nats.length > 0 ? 'nats' : 'memory';
    // Only a clock passed in: the transport's own default keeps its request timers ref'd, like a socket.
    const transportClock = options.clock === undefined ? {} : { clock: options.clock };
    // What the node sends (mostly replies) leaves at the end of the turn that produced it, see FLUSH_AT_TURN_END.
    const transportOptions = { ...transportClock, scheduleFlush: FLUSH_AT_TURN_END };
    const transport =
      transportKind === 'nats'
        ? await connectWithRetry(
            (connectTimeoutMs) =>
              NatsTransport.connect({
                servers: config.nats,
                auth: natsAuthOf(config),
                cluster: config.cluster,
                name: `lucent-${config.shard}`,
                connectTimeoutMs,
                ...transportOptions,
                // The server's own reason (CONNECTION_REFUSED): a URL is not a node, so not NodeUnavailableError.
                // Refused credentials stay a ConfigError: no retry can cure them.
              }).catch((error: unknown) => {
                throw ConfigError.is(error) ? error : ((error as { cause?: unknown }).cause ?? error);
              }),
            {
              target: `NATS at ${config.nats.join(',')}`,
              isPermanent: (error) => ConfigError.is(error),
              timeoutMs: config.natsConnectTimeoutMs,
              clock: this.clock,
              ...(options.startSignal === undefined ? {} : { signal: options.startSignal }),
              onRetry: ({ attempt, delayMs, error }) =>
                logger.warn(
                  {
                    servers: config.nats,
                    attempt,
                    retryInMs: delayMs,
                    reason: error instanceof Error ? error.message : String(error),
                    natsConnectTimeoutMs: config.natsConnectTimeoutMs,
                  },
                  'nats.connect_retry',
                ),
            },
          )
        : new InMemoryTransport(options.bus ?? new InMemoryBus(), {
            cluster: config.cluster,
            name: config.shard,
            ...transportOptions,
          });
    this.#transport = transport;
    this.#health.watch(transport);
    transport.onStatus(connectionStatusLogger(logger, this.clock));
    transport.onError((error, subject) => this.#onSubscriptionError(error, subject));
    // Loaded once on this thread: the router and the pool share it (the pool's workers import the modules).
    const functions = await loadFunctionModules(config.functions);
    const definitions = await loadActorDefinitions(config.actors);
    const store = options.store === undefined ? new MemoryStateStore() : await options.store(transport);
    const activationGuard = await options.activationGuard?.(transport, logger);
    const system = createActorSystem({
      name: `lucent-${config.shard}`,
      clock: this.clock,
      onError: (error, actorPath, phase) => logger.warn({ err: error, actorPath, phase }, 'actor.failed'),
    });
    this.#actorSystem = system;
    const mailboxMetrics = new ActorMailboxMetrics(this.metrics.registry);
    const supervisor = await ShardSupervisor.start({
      system,
      nodeId: config.shard,
      createPool:
        config.functions.length === 0
          ? undefined
          : (onDeath) =>
              createFunctionPool({
                modules: config.functions,
                registry: functions,
                threads: config.threads,
                closeTimeoutMs: Math.max(1, config.drainTimeoutMs),
                clock: this.clock,
                // Ready means a worker can serve: a module that loads here but not in a worker fails the start.
                // Restarts are the supervisor's: a pool that cannot start then is one more death in its budget.
                verifyWorkerStart: !this.#poolStarted,
                onDeath,
                maxQueuedCalls: config.poolMaxQueue,
                onInlineMoved: (name, verdict) => logger.warn({ function: name, ...verdict }, 'pool.inline_moved'),
                shard: { id: config.shard, tags: config.tags },
                logLevel: config.logLevel,
              }),
      createActors: () =>
        createFunctionActors({
          system,
          store,
          definitions,
          onPersistFailure: (failure) =>
            logger.warn({ err: failure.error, type: failure.type, id: failure.id }, 'actor.persist_failed'),
          maxMailboxSize: config.actorMailboxSize,
          onMailboxFull: (type, kind) => mailboxMetrics.refused(type, kind),
          ...(activationGuard === undefined ? {} : { activationGuard }),
          // Machines' `reminders.set` / `.cancel` go to the cluster's reminder store (opened on first use).
          reminders: new ReminderWriter(
            () => reminderStoreFor(transport, { cluster: config.cluster, replicas: config.natsReplicas }),
            this.clock,
          ),
        }),
      supervision: {
        maxRestarts: config.poolMaxRestarts,
        windowMs: config.poolRestartWindowMs,
        ...options.poolSupervision,
      },
      logger,
      onFatal: (reason) => this.#stopFatally(reason),
    });
    this.#supervisor = supervisor;
    this.#poolStarted = true;
    const { pool, actors } = supervisor;
    if (pool !== undefined) this.metrics.observePool(pool);
    this.metrics.observeActiveActors(() => actors.activeCount);
    const context: ShardContext = {
      config,
      nodeId: config.shard,
      cluster: config.cluster,
      transport,
      transportKind,
      codec: new EnvelopeCodec({ maxMessageBytes: 1024 * 1024 }),
      pool,
      functions,
      actors,
      actorTypes: definitions.map((definition) => definition.type),
      actorSystem: system,
      store,
      metrics: this.metrics,
      logger,
      clock: this.clock,
      httpRoutes: this.#http,
      serveFunction: (name) => this.#serveFunction(name),
      refreshEvents: () => this.#refreshEvents(),
    };
    this.#context = context;
    this.#runEffects = nodeRunEffects(context);
    const runner = this.#startRouter(context, options);
    this.#grpc?.attach(context, options.view);
    this.#admin = this.#startAdmin(context);
    // Subscriptions reach a NATS server asynchronously: without this round trip a request sent right after
    // `node.ready` could arrive before the server knows the subscription, and be dropped.
    await transport.flush();
    this.#eventRunner = runner;
    await this.#startEvents(context, runner);
    for (const extension of options.extensions ?? []) {
      await extension.start(context);
      this.#extensions.push(extension);
      logger.debug({ extension: extension.name }, 'extension.started');
    }
    this.#ready = true;
    logger.info(
      {
        shard: config.shard,
        cluster: config.cluster,
        httpPort: this.httpPort,
        transport: transportKind,
        functions: activeFunctionNames(functions),
        actorTypes: context.actorTypes,
        tags: config.tags,
        ...(transportKind === 'memory'
          ? { reachable: 'standalone (no --nats): in-memory bus, no client outside this process can reach this node' }
          : {}),
      },
      'node.ready',
    );
  }

  async #stop(reason: string): Promise<void> {
    const { logger } = this;
    const drainTimeoutMs = this.config.drainTimeoutMs;
    this.#ready = false;
    this.#stopping = true;
    logger.info({ reason, drainTimeoutMs }, 'node.stopping');
    const grpc = this.#grpc;
    if (grpc !== undefined) await this.#step('grpc gateway stop', () => grpc.stop(drainTimeoutMs));
    const extensions = [...this.#extensions].reverse();
    for (const extension of extensions) {
      await this.#step(`extension ${extension.name} beginShutdown`, () => extension.beginShutdown?.());
    }
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#admin?.stop();
    this.#subscriptions = [];
    // A refresh under way may still start consumers: let it end (later ones do nothing) before stopping them.
    await settleWithin(this.#eventsRefresh, drainTimeoutMs, this.clock);
    const events = this.#events;
    if (events !== undefined) {
      const stopped = await settleWithin(
        this.#step('event consumers stop', () => events.stop()),
        drainTimeoutMs,
        this.clock,
      );
      if (!stopped) logger.warn({ drainTimeoutMs, inFlight: events.inFlight }, 'events.drain_timeout');
    }
    const router = this.#router;
    // What shutdown took care of, for the `node.stopped` line.
    let callsDrained = 0;
    let callsLeft = 0;
    if (router !== undefined) {
      const inFlight = router.inFlight;
      const drained = await settleWithin(router.drain(), drainTimeoutMs, this.clock);
      if (!drained) logger.warn({ drainTimeoutMs }, 'node.drain_timeout');
      callsLeft = router.inFlight;
      callsDrained = Math.max(0, inFlight - callsLeft);
    }
    for (const extension of extensions) {
      await this.#step(`extension ${extension.name} stop`, () => extension.stop?.());
    }
    const supervisor = this.#supervisor;
    const actorsActive = supervisor?.actors.activeCount ?? 0;
    const handingOff = this.#onHandedOff === undefined ? [] : (supervisor?.actors.inspectAll() ?? []);
    if (supervisor !== undefined) {
      const stopped = await settleWithin(
        this.#step('actors stopAll', () => supervisor.stopActors()),
        drainTimeoutMs,
        this.clock,
      );
      if (!stopped) logger.warn({ drainTimeoutMs }, 'actors.stop_timeout');
    }
    // Each actor stopped by stopAll saved its state on the way out.
    const actorsSaved = Math.max(0, actorsActive - (supervisor?.actors.activeCount ?? 0));
    const system = this.#actorSystem;
    if (system !== undefined)
      await settleWithin(
        this.#step('actor system terminate', () => system.terminate()),
        drainTimeoutMs,
        this.clock,
      );
    for (const extension of extensions) {
      await this.#step(`extension ${extension.name} afterActorsStopped`, () => extension.afterActorsStopped?.());
    }
    const onHandedOff = this.#onHandedOff;
    if (onHandedOff !== undefined) {
      const report = drainReport(this.config.shard, handingOff, this.#view?.current(), {
        actorsSaved,
        callsDrained,
        callsLeft,
      });
      await settleWithin(
        this.#step('drain report', () => onHandedOff(report)),
        drainTimeoutMs,
        this.clock,
      );
    }
    if (supervisor !== undefined) await this.#step('pool close', () => supervisor.closePool());
    // Events the last runs emitted are still being stored: let them finish before the connection goes.
    const publisher = this.#runEffects?.publisher;
    if (publisher !== undefined) await settleWithin(publisher.idle(), drainTimeoutMs, this.clock);
    const transport = this.#transport;
    if (transport !== undefined) await this.#step('transport close', () => transport.close());
    const http = this.#http;
    if (http !== undefined) await this.#step('http close', () => http.close());
    this.#liveness.stop();
    logger.info({ reason, callsDrained, callsLeft, actorsSaved }, 'node.stopped');
  }

  /**
   * Creates the event streams and this node's durable consumers (idempotent) and starts consuming: one consumer
   * per (function, event type) served here (`events/durable-event-consumers.ts`).
   */
  async #startEvents(context: ShardContext, runner: FunctionRunner): Promise<void> {
    const { config } = context;
    // A node that handles no events needs no event log (nor JetStream).
    if (!context.functions.list().some((definition) => definition.handles.length > 0)) return;
    const log = await eventLogFor(context.transport, {
      cluster: context.cluster,
      replicas: config.natsReplicas,
      duplicateWindowMs: config.eventDuplicateWindowMs,
      clock: context.clock,
    });
    const events = new DurableEventConsumers({
      nodeId: context.nodeId,
      cluster: context.cluster,
      log,
      functions: context.functions,
      runner,
      codec: context.codec,
      clock: context.clock,
      logger: this.logger,
      metrics: new EventMetrics(this.metrics.registry),
      ackWaitMs: config.eventAckWaitMs,
      maxAckPending: config.eventMaxAckPending,
      ...(this.#runEffects === undefined ? {} : { effects: this.#runEffects.effects }),
    });
    this.#events = events;
    try {
      await events.start();
    } catch (error) {
      // Started later by a refresh: the next one tries again.
      this.#events = undefined;
      throw error;
    }
  }

  /** See `ShardContext.refreshEvents`. */
  #refreshEvents(): Promise<void> {
    const next = this.#eventsRefresh.then(async () => {
      const context = this.#context;
      const runner = this.#eventRunner;
      if (this.#stopping || context === undefined || runner === undefined) return;
      const events = this.#events;
      if (events === undefined) await this.#startEvents(context, runner);
      else await events.refresh();
    });
    this.#eventsRefresh = next.catch(() => undefined);
    return next;
  }

  /** The node's durable event consumers (counters, in-flight runs); `undefined` when it handles no events. */
  get events(): DurableEventConsumers | undefined {
    return this.#events;
  }

  /** Builds the router from the parts and subscribes it on the node's subjects (`router-subscriptions.ts`). */
  /** The node's answers on its admin subject (status, actors, lifecycle commands) for the CLI and dashboard. */
  #startAdmin(context: ShardContext): NodeAdminService {
    const admin = new NodeAdminService(context, {
      version: nodePackageVersion(),
      startedAt: this.#startedAt,
      status: () => {
        const notReady = this.notReadyReason();
        return {
          ready: this.isReady,
          ...(notReady === undefined ? {} : { notReady }),
          functions: activeFunctionNames(context.functions),
          stats: { ...this.router.stats },
          health: this.#liveness.verdict(),
          ...this.#rebalanceStatus?.(),
        };
      },
      drain: (onHandedOff) => this.drain(onHandedOff),
    });
    admin.start();
    return admin;
  }

  #startRouter(context: ShardContext, options: ShardNodeOptions): FunctionRunner {
    const metricsObserver = new RouterMetricsObserver(this.metrics, this.logger, this.#logThrottle);
    const observer =
      options.latencies === undefined ? metricsObserver : withFunctionLatencies(metricsObserver, options.latencies);
    const view = options.view;
    if (view !== undefined) this.metrics.observeCluster(() => view.current());
    // Every served function has its series from the start, not only after its first call.
    metricsObserver.bindFunctions(activeFunctionNames(context.functions));
    // Without `--functions` there is no pool: the inline runner over the empty registry refuses every call.
    const base =
      context.pool ??
      createInlineRunner(context.functions, {
        clock: context.clock,
        shard: { id: context.nodeId, tags: context.config.tags },
        logLevel: context.config.logLevel,
      });
    const runner = options.wrapRunner?.(base) ?? base;
    const router = createRequestHandler({
      nodeId: context.nodeId,
      cluster: context.cluster,
      transport: context.transport,
      functions: context.functions,
      runner,
      actors: context.actors,
      codec: context.codec,
      clock: context.clock,
      observer,
      ...(this.#runEffects === undefined ? {} : { effects: this.#runEffects.effects }),
      ...(options.view === undefined ? {} : { view: options.view }),
      ...(options.hopLimit === undefined ? {} : { hopLimit: options.hopLimit }),
      ...(options.load === undefined ? {} : { load: options.load }),
      tags: context.config.tags,
    });
    this.#router = router;
    const subscriptions = subscribeRequestHandler(context.transport, router, {
      cluster: context.cluster,
      nodeId: context.nodeId,
      functions: context.functions,
    });
    this.#subscriptions.push(...subscriptions);
    for (const definition of context.functions.list()) this.#servedFunctions.add(definition.name);
    return runner;
  }

  /** Subscribes the router on a function added after start (see `ShardContext.serveFunction`). */
  #serveFunction(name: string): void {
    const router = this.#router;
    const context = this.#context;
    if (router === undefined || context === undefined || this.#stopping || this.#servedFunctions.has(name)) return;
    const subject = functionSubject(context.cluster, name);
    this.#subscriptions.push(context.transport.subscribe(subject, router.handle, { queue: FUNCTION_QUEUE_GROUP }));
    this.#servedFunctions.add(name);
  }

  /**
   * The supervisor gave up on the pool: log why, leave the cluster through the normal shutdown (membership
   * leave, drain, actors saved), then tell `onFatalStop`. Once; a shutdown already under way is joined.
   */
  #stopFatally(reason: string): void {
    if (this.#fatalReason !== undefined) return;
    this.#fatalReason = reason;
    this.logger.fatal({ reason }, 'node.fatal');
    // During start, the shutdown waits for it; a start that fails shuts down and reports that failure instead.
    this.#starting.then(
      () => this.shutdown(`fatal: ${reason}`).then(() => this.#onFatalStop?.(reason)),
      () => {},
    );
  }

  /** Runs one shutdown step; a throw or rejection is logged, never propagated. */
  async #step(name: string, run: () => unknown): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.logger.error({ err: error, step: name }, 'node.shutdown_step_failed');
    }
  }

  #onSubscriptionError(error: LucentError, subject: string): void {
    this.metrics.error(error.code);
    // Any publisher can cause these (garbage on a subject), so they are rate-limited per code and subject.
    const suppressed = this.#logThrottle.admit(`${error.code} ${subject}`);
    if (suppressed === SUPPRESS) return;
    this.logger.warn({ err: error, subject, suppressed }, 'transport.subscription_error');
  }
}

/** Names of the functions with an active version, in registration order (for the `node.ready` log). */
function activeFunctionNames(functions: FunctionRegistry): string[] {
  return functions
    .list()
    .filter((definition) => functions.find(definition.name) === definition)
    .map((definition) => definition.name);
}
