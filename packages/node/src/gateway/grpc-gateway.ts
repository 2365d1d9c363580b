/**
 * The gRPC listener of a shard node (`--grpc-port`): `lucent.v1.FunctionService`, the standard health service
 * and server reflection, behind TLS (optionally mTLS) and bearer tokens.
 *
 * ```
 *  ShardNode.start:  HTTP ─► GrpcGateway.start (bound; health NOT_SERVING; FunctionService answers UNAVAILABLE)
 *                    ─► transport, pool, router ─► attach(context, view) ─► … ─► ready (calls are served)
 *  every 250 ms:     health = node.isReady ? SERVING : NOT_SERVING   (joined, NATS connected, not stopping)
 *  ShardNode.stop:   NOT_SERVING ─► Subscribe streams end (UNAVAILABLE) ─► tryShutdown (≤ drain) ─► force
 * ```
 * It starts before the node joins so that probes see NOT_SERVING rather than a refused connection while the
 * node comes up. Readiness is polled rather than pushed: it is derived from several parts (start, membership,
 * the NATS connection, shutdown), and one cheap read per period needs no hook in each.
 */
import { Server, ServerCredentials, type ServerInterceptor, type ServiceDefinition, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { type Clock, ConfigError, createClusterView, type TimerHandle, type ViewSource } from '@lucent/core/internal';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import type { Registry } from 'prom-client';
import { ClientCore } from '../client/client-core.js';
import type { NodeConfig } from '../config/node-config.js';
import type { Logger } from '../logging.js';
import { settleWithin } from '../shard/settle-within.js';
import type { ShardContext } from '../shard/shard-context.js';
import { loadBearerTokens } from './bearer-tokens.js';
import { FunctionService } from './function-service.js';
import { unauthenticatedCounter } from './gateway-metrics.js';
import { type GatewayTls, readGatewayTls } from './gateway-tls.js';
import { bearerTokenInterceptor } from './grpc-auth.js';
import { FUNCTION_SERVICE_NAME, loadFunctionServiceProto } from './grpc-proto.js';

/** `grpcPort` value that turns the listener off (the default). */
export const GRPC_PORT_OFF = -1;

/**
 * Largest request message accepted, in bytes: the node's envelope limit, so whatever the gateway accepts can
 * also cross the cluster. A larger one is refused by grpc-js with RESOURCE_EXHAUSTED ("Received message larger
 * than max") before any handler runs.
 */
export const GRPC_MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * Server options besides the size limit. Channelz (grpc-js's per-call statistics for its debug service, on by
 * default) is off: nothing here serves it, and it was about half of a bare grpc-js echo server's CPU per unary
 * call at 100 in flight (430 → 214 µs, median of 5 alternating rounds on the loaded 2-core machine).
 */
export const GRPC_SERVER_OPTIONS = { 'grpc.enable_channelz': 0 } as const;

/** After the drain, how long the server waits for clients to close their connections before it closes them. */
export const CLOSE_GRACE_MS = 500;

/** How often the health status follows the node's readiness. */
export const HEALTH_POLL_MS = 250;

/** Options of {@link GrpcGateway.start}. */
export interface GrpcGatewayOptions {
  readonly host: string;
  /** 0 = an ephemeral port (see {@link GrpcGateway.port}). */
  readonly port: number;
  /** TLS material; `undefined` = plaintext. */
  readonly tls: GatewayTls | undefined;
  /** Interceptors run on every call (the bearer-token check); default none. */
  readonly interceptors?: readonly ServerInterceptor[];
  readonly logger: Logger;
  readonly clock: Clock;
  /** The node's readiness; health reports SERVING, and calls are served, exactly while it is true. */
  readonly isReady: () => boolean;
  /** Default {@link GRPC_MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes?: number;
}

/** A started gRPC listener. */
export class GrpcGateway {
  readonly #server: Server;
  readonly #health: HealthImplementation;
  readonly #options: GrpcGatewayOptions;
  #port = -1;
  #service: FunctionService | undefined = undefined;
  #serving: ServingStatus = 'NOT_SERVING';
  #poll: TimerHandle | undefined = undefined;
  #stopped = false;

  /** Builds the server with its services; nothing listens yet. */
  private constructor(options: GrpcGatewayOptions) {
    this.#options = options;
    const server = new Server({
      ...GRPC_SERVER_OPTIONS,
      'grpc.max_receive_message_length': options.maxMessageBytes ?? GRPC_MAX_MESSAGE_BYTES,
      ...(options.interceptors === undefined ? {} : { interceptors: [...options.interceptors] }),
    });
    const definition = loadFunctionServiceProto();
    this.#health = new HealthImplementation({ '': 'NOT_SERVING', [FUNCTION_SERVICE_NAME]: 'NOT_SERVING' });
    this.#health.addToServer(server);
    // Reflection describes our service and the health service (tools list both).
    new ReflectionService({ ...definition, ...loadSync(healthProtoPath) }).addToServer(server);
    // The handlers delegate to the service once attached: a server's services are fixed before it binds.
    const route = (method: string) => (call: unknown, done?: (error: object) => void) =>
      this.#route(method, call, done);
    server.addService(definition[FUNCTION_SERVICE_NAME] as ServiceDefinition, {
      ExecuteFunction: route('ExecuteFunction'),
      Ask: route('Ask'),
      Tell: route('Tell'),
      Emit: route('Emit'),
      Subscribe: route('Subscribe'),
    });
    this.#server = server;
  }

  /**
   * Binds and starts serving: health answers NOT_SERVING and FunctionService UNAVAILABLE until {@link attach}
   * and readiness. Rejects with `ConfigError` (field `grpcPort`) when the address cannot be bound.
   */
  static async start(options: GrpcGatewayOptions): Promise<GrpcGateway> {
    const gateway = new GrpcGateway(options);
    const address = options.host.includes(':')
      ? `[${options.host}]:${options.port}`
      : `${options.host}:${options.port}`;
    gateway.#port = await new Promise<number>((resolve, reject) => {
      gateway.#server.bindAsync(address, credentialsOf(options.tls), (error, bound) => {
        if (error === null) resolve(bound);
        else {
          const reason = `cannot listen on ${address}: ${error.message}`;
          reject(new ConfigError({ subject: 'lucent-node option --grpc-port', field: 'grpcPort', reason }));
        }
      });
    });
    gateway.#followReadiness();
    options.logger.info(
      {
        host: options.host,
        port: gateway.#port,
        tls: options.tls !== undefined,
        mtls: options.tls?.clientCa !== undefined,
        auth: (options.interceptors?.length ?? 0) > 0,
      },
      'gateway.grpc_listening',
    );
    return gateway;
  }

  /** The bound port (the real one when `port` was 0). */
  get port(): number {
    return this.#port;
  }

  /** The service, once attached (tests read its counters). */
  get service(): FunctionService | undefined {
    return this.#service;
  }

  /**
   * Connects the handlers to the node's parts: calls go through a client engine on the node's transport that
   * routes with `view` (the node's membership view). Call once, after the router is subscribed.
   */
  attach(context: ShardContext, view: ViewSource | undefined): void {
    const core = new ClientCore({
      transport: context.transport,
      cluster: context.cluster,
      codec: context.codec,
      origin: context.nodeId,
      clock: context.clock,
      eventReplicas: context.config.natsReplicas,
      eventDuplicateWindowMs: context.config.eventDuplicateWindowMs,
      viewSource: view ?? selfViewSource(context),
      logger: context.logger,
    });
    this.#service = new FunctionService({
      core,
      functions: context.functions,
      transport: context.transport,
      codec: context.codec,
      cluster: context.cluster,
      clock: context.clock,
      logger: context.logger,
    });
  }

  /**
   * Stops: NOT_SERVING, new calls UNAVAILABLE, open Subscribe streams end with UNAVAILABLE, unary calls in flight
   * get up to `graceMs` to be answered, then the connections close (health `Watch` streams with them: they never
   * end by themselves, so waiting for every call to end would always take the whole grace). Idempotent; never
   * rejects.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const { clock } = this.#options;
    if (this.#poll !== undefined) clock.clearTimeout(this.#poll);
    this.#setServing('NOT_SERVING');
    const service = this.#service;
    service?.endSubscriptions();
    if (service !== undefined) await settleWithin(service.drained(), graceMs, clock);
    // The last answers are written; a short polite close lets them leave before the sockets go.
    const server = this.#server;
    const closed = await settleWithin(
      new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
      Math.min(graceMs, CLOSE_GRACE_MS),
      clock,
    );
    if (!closed) server.forceShutdown();
  }

  /**
   * Hands a call to the service, or answers UNAVAILABLE while the node is not ready (starting or joining, NATS
   * lost, stopping): what health says NOT_SERVING for, callers hear as the status gRPC clients retry on.
   */
  #route(method: string, call: unknown, done?: (error: object) => void): void {
    const service = this.#service;
    if (service === undefined || this.#stopped || !this.#options.isReady()) {
      const reason = this.#stopped ? 'is stopping' : 'is not ready (starting, joining, or without NATS)';
      const failure = { code: status.UNAVAILABLE, details: `the node ${reason}` };
      if (done === undefined) (call as { emit(event: 'error', error: object): void }).emit('error', failure);
      else done(failure);
      return;
    }
    const handler = service.implementation[method] as (call: unknown, done?: unknown) => void;
    handler(call, done);
  }

  #followReadiness(): void {
    if (this.#stopped) return;
    this.#setServing(this.#options.isReady() ? 'SERVING' : 'NOT_SERVING');
    this.#poll = this.#options.clock.setTimeout(() => this.#followReadiness(), HEALTH_POLL_MS);
  }

  #setServing(serving: ServingStatus): void {
    if (serving === this.#serving) return;
    this.#serving = serving;
    this.#health.setStatus('', serving);
    this.#health.setStatus(FUNCTION_SERVICE_NAME, serving);
  }
}

/**
 * A node without a cluster view (standalone, or embedded without membership) serves every key itself; its
 * gateway's client places every key on it, so actors are reachable there too.
 */
function selfViewSource(context: ShardContext): ViewSource {
  const load = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 1, queueDepth: 0, maxQueue: 1 };
  const view = createClusterView([{ id: context.nodeId, tags: context.config.tags, load }], { vnodesPerWeight: 1 });
  return { current: () => view };
}

function credentialsOf(tls: GatewayTls | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  // With a client CA, a client without a certificate it signed is refused during the handshake (mTLS).
  const keyPair = [{ cert_chain: tls.cert, private_key: tls.key }];
  return ServerCredentials.createSsl(tls.clientCa ?? null, keyPair, tls.clientCa !== undefined);
}

/** What {@link startGrpcGatewayFor} needs from the node besides its config. */
export interface NodeGatewayParts {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly registry: Registry | undefined;
  readonly isReady: () => boolean;
  /** Where `LUCENT_GATEWAY_TOKENS` is read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The node's gRPC gateway per `config` (`grpcPort`, `gatewayHost`, the TLS files and tokens), or `undefined` when
 * `grpcPort` is {@link GRPC_PORT_OFF}. Rejects with `ConfigError` for unreadable TLS or token files or a port that
 * cannot be bound.
 */
export async function startGrpcGatewayFor(
  config: NodeConfig,
  parts: NodeGatewayParts,
): Promise<GrpcGateway | undefined> {
  if (config.grpcPort === GRPC_PORT_OFF) return undefined;
  const tls = readGatewayTls(config);
  const tokens = loadBearerTokens(config.gatewayTokensFile, parts.env ?? process.env);
  const auth = bearerTokenInterceptor(tokens, unauthenticatedCounter(parts.registry, 'grpc'));
  return GrpcGateway.start({
    host: config.gatewayHost,
    port: config.grpcPort,
    tls,
    ...(auth === undefined ? {} : { interceptors: [auth] }),
    logger: parts.logger,
    clock: parts.clock,
    isReady: parts.isReady,
  });
}
