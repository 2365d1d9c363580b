/**
 * One shard node: owns the transport, the function pool, the function actors, metrics, logs and the HTTP
 * endpoints, and wires a {@link RequestHandler} and {@link ShardExtension}s to them (see `shard-context.ts`).
 *
 * ```
 *  start:    HTTP (live, not ready) → transport → pool → actors → handler subscribed → extensions → ready
 *  shutdown: not ready → extensions.beginShutdown → unsubscribe → handler.drain (≤ drainTimeoutMs)
 *            → extensions.stop → actors.stopAll, system.terminate → pool.close → transport.close → HTTP close
 * ```
 */
import {
  type ActivationGuard,
  type AnyActorDefinition,
  createActorSystem,
  createFunctionActors,
  type FunctionActors,
  type LocalActorSystem,
  MemoryStateStore,
  type StateStore,
} from '@lucent/actors';
import { type Clock, EnvelopeCodec, type LucentError, systemClock } from '@lucent/core';
import type { NodeConfig } from '../config/node-config.js';
import { NodeHttpServer } from '../http/node-http-server.js';
import { LogThrottle, SUPPRESS } from '../log-throttle.js';
import { createNodeLogger, type LogDestination, type Logger } from '../logging.js';
import { NodeMetrics } from '../metrics/node-metrics.js';
import { createFunctionPool, type FunctionPool } from '../pool/function-pool.js';
import { InMemoryBus } from '../transport/in-memory-bus.js';
import { InMemoryTransport } from '../transport/in-memory-transport.js';
import { NatsTransport } from '../transport/nats-transport.js';
import { functionSubject, nodeSubject } from '../transport/subjects.js';
import type { Transport, TransportSubscription } from '../transport/transport.js';
import { loadActorDefinitions } from './actor-modules.js';
import { LocalRequestHandler } from './local-request-handler.js';
import { settleWithin } from './settle-within.js';
import type { RequestHandler, RequestHandlerFactory, ShardContext, ShardExtension } from './shard-context.js';

/** Queue group of the `functionSubject` subscriptions: every node serving a function is one member. */
export const FUNCTION_QUEUE_GROUP = 'lucent-fn';

export interface ShardNodeOptions {
  readonly config: NodeConfig;
  /** Default: a pino logger on stdout at `config.logLevel` (or on `logDestination`). */
  readonly logger?: Logger;
  readonly logDestination?: LogDestination;
  /** Standalone mode's bus (no `config.nats`); pass one bus to several in-process nodes to connect them. */
  readonly bus?: InMemoryBus;
  /** Builds the request handler; default {@link LocalRequestHandler}. */
  readonly handler?: RequestHandlerFactory;
  /** Started in order after the handler is subscribed; the node is ready once all have started. */
  readonly extensions?: readonly ShardExtension[];
  /** The actor state store; default a `MemoryStateStore`. Receives the connected transport. */
  readonly store?: (transport: Transport) => StateStore | Promise<StateStore>;
  /**
   * Claims actor activations across nodes (KV leases on NATS); default none. Receives the connected transport
   * and the node's logger.
   */
  readonly activationGuard?: (transport: Transport, logger: Logger) => ActivationGuard | Promise<ActivationGuard>;
  /** Interface the HTTP server binds (default all). */
  readonly httpHost?: string;
  /** Collect Node.js process metrics into the node's registry (default true). */
  readonly processMetrics?: boolean;
  /**
   * The node's time source, handed to the pool, the actor system, the extensions (`context.clock`: membership,
   * lease sweep, leases) and, when given, the transport's request deadlines. Default `systemClock`.
   */
  readonly clock?: Clock;
}

/** A running shard node. Create with {@link ShardNode.start}; stop with {@link ShardNode.shutdown}. */
export class ShardNode {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  readonly clock: Clock;
  #http: NodeHttpServer | undefined = undefined;
  #context: ShardContext | undefined = undefined;
  #handler: RequestHandler | undefined = undefined;
  #extensions: ShardExtension[] = [];
  #subscriptions: TransportSubscription[] = [];
  readonly #logThrottle: LogThrottle;
  #ready = false;
  #shutdown: Promise<void> | undefined = undefined;
  // Parts as they come up, so a failed start can close exactly what it opened.
  #transport: Transport | undefined = undefined;
  #pool: FunctionPool | undefined = undefined;
  #actorSystem: LocalActorSystem | undefined = undefined;
  #actors: FunctionActors<readonly AnyActorDefinition[]> | undefined = undefined;

  private constructor(options: ShardNodeOptions) {
    this.config = options.config;
    this.clock = options.clock ?? systemClock;
    this.#logThrottle = new LogThrottle({ clock: this.clock });
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
      await node.#start(options);
    } catch (error) {
      node.logger.error({ err: error }, 'node.start_failed');
      await node.shutdown('start failed');
      throw error;
    }
    return node;
  }

  /** True from the end of `start` until shutdown begins; `/readyz` answers 200 exactly then. */
  get isReady(): boolean {
    return this.#ready;
  }

  /** The bound HTTP port (the real one when `httpPort` was 0). */
  get httpPort(): number {
    return this.#http?.port ?? -1;
  }

  /** The parts, for tests and tools. Throws `TypeError` before `start` finished. */
  get context(): ShardContext {
    if (this.#context === undefined) throw new TypeError('ShardNode is not started');
    return this.#context;
  }

  /**
   * Graceful shutdown in the order of the module diagram. Each step's failure is logged and does not stop the
   * next. Idempotent: later calls return the same promise. Never rejects.
   */
  shutdown(reason = 'shutdown'): Promise<void> {
    this.#shutdown ??= this.#stop(reason);
    return this.#shutdown;
  }

  async #start(options: ShardNodeOptions): Promise<void> {
    const { config, logger } = this;
    this.#http = await NodeHttpServer.start({
      port: config.httpPort,
      ...(options.httpHost === undefined ? {} : { host: options.httpHost }),
      source: {
        isReady: () => this.#ready,
        metricsText: () => this.metrics.text(),
        metricsContentType: this.metrics.contentType,
      },
      onError: (error) => logger.warn({ err: error }, 'metrics.collect_failed'),
    });
    const transportKind = config.nats.length > 0 ? 'nats' : 'memory';
    // Only a clock passed in: the transport's own default keeps its request timers ref'd, like a socket.
    const transportClock = options.clock === undefined ? {} : { clock: options.clock };
    const transport =
      transportKind === 'nats'
        ? await NatsTransport.connect({
            servers: config.nats,
            cluster: config.cluster,
            name: `lucent-${config.shard}`,
            ...transportClock,
          })
        : new InMemoryTransport(options.bus ?? new InMemoryBus(), {
            cluster: config.cluster,
            name: config.shard,
            ...transportClock,
          });
    this.#transport = transport;
    transport.onStatus((event) => logger.info({ status: event }, 'transport.status'));
    transport.onError((error, subject) => this.#onSubscriptionError(error, subject));
    if (config.functions.length > 0) {
      this.#pool = await createFunctionPool({
        modules: config.functions,
        threads: config.threads,
        closeTimeoutMs: Math.max(1, config.drainTimeoutMs),
        clock: this.clock,
      });
      this.metrics.observePool(this.#pool);
    }
    const definitions = await loadActorDefinitions(config.actors);
    const store = options.store === undefined ? new MemoryStateStore() : await options.store(transport);
    const activationGuard = await options.activationGuard?.(transport, logger);
    this.#actorSystem = createActorSystem({
      name: `lucent-${config.shard}`,
      clock: this.clock,
      onError: (error, actorPath, phase) => logger.warn({ err: error, actorPath, phase }, 'actor.failed'),
    });
    const actors = createFunctionActors({
      system: this.#actorSystem,
      store,
      definitions,
      onPersistFailure: (failure) =>
        logger.warn({ err: failure.error, type: failure.type, id: failure.id }, 'actor.persist_failed'),
      ...(activationGuard === undefined ? {} : { activationGuard }),
    });
    this.#actors = actors;
    this.metrics.observeActiveActors(() => actors.activeCount);
    const functionNames = [...new Set((this.#pool?.functions ?? []).filter((ref) => !ref.includes('@')))];
    const context: ShardContext = {
      config,
      nodeId: config.shard,
      cluster: config.cluster,
      transport,
      transportKind,
      codec: new EnvelopeCodec({ maxMessageBytes: 1024 * 1024 }),
      pool: this.#pool,
      functionNames,
      actors,
      actorTypes: definitions.map((definition) => definition.type),
      actorSystem: this.#actorSystem,
      store,
      metrics: this.metrics,
      logger,
      clock: this.clock,
    };
    this.#context = context;
    const handler: RequestHandler = options.handler?.(context) ?? new LocalRequestHandler(context);
    this.#handler = handler;
    if (handler.subscribe !== undefined) this.#subscriptions.push(...handler.subscribe(transport));
    else {
      // One closure per subscription, not per frame: the handler's method is bound once.
      const handle = handler.handle.bind(handler);
      this.#subscriptions.push(transport.subscribe(nodeSubject(config.cluster, config.shard), handle));
      for (const name of functionNames) {
        const subject = functionSubject(config.cluster, name);
        this.#subscriptions.push(transport.subscribe(subject, handle, { queue: FUNCTION_QUEUE_GROUP }));
      }
    }
    // Subscriptions reach a NATS server asynchronously: without this round trip a request sent right after
    // `node.ready` could arrive before the server knows the subscription, and be dropped.
    await transport.flush();
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
        functions: functionNames,
        actorTypes: context.actorTypes,
        tags: config.tags,
      },
      'node.ready',
    );
  }

  async #stop(reason: string): Promise<void> {
    const { logger } = this;
    const drainTimeoutMs = this.config.drainTimeoutMs;
    this.#ready = false;
    logger.info({ reason, drainTimeoutMs }, 'node.stopping');
    const extensions = [...this.#extensions].reverse();
    for (const extension of extensions) {
      await this.#step(`extension ${extension.name} beginShutdown`, () => extension.beginShutdown?.());
    }
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions = [];
    const handler = this.#handler;
    if (handler?.drain !== undefined) {
      const drained = await settleWithin(handler.drain(), drainTimeoutMs, this.clock);
      if (!drained) logger.warn({ drainTimeoutMs }, 'node.drain_timeout');
    }
    for (const extension of extensions) {
      await this.#step(`extension ${extension.name} stop`, () => extension.stop?.());
    }
    const actors = this.#actors;
    if (actors !== undefined) {
      const stopped = await settleWithin(
        this.#step('actors stopAll', () => actors.stopAll()),
        drainTimeoutMs,
        this.clock,
      );
      if (!stopped) logger.warn({ drainTimeoutMs }, 'actors.stop_timeout');
    }
    const system = this.#actorSystem;
    if (system !== undefined)
      await settleWithin(
        this.#step('actor system terminate', () => system.terminate()),
        drainTimeoutMs,
        this.clock,
      );
    const pool = this.#pool;
    if (pool !== undefined) await this.#step('pool close', () => pool.close());
    const transport = this.#transport;
    if (transport !== undefined) await this.#step('transport close', () => transport.close());
    const http = this.#http;
    if (http !== undefined) await this.#step('http close', () => http.close());
    logger.info({ reason }, 'node.stopped');
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
