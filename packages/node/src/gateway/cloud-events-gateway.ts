/**
 * The CloudEvents side of a node, as a shard extension: `POST /events` in, webhook sinks out.
 *
 * ```
 *  start: bearer tokens (file / LUCENT_GATEWAY_TOKENS) ─► CloudEventsIngress
 *           ├─ no --events-port ─► mounted on the node's HTTP port (/events)
 *           └─ --events-port    ─► own listener on --gateway-host, TLS / mTLS from --gateway-tls-*
 *         --event-sink routes   ─► one EventSinkDelivery each (durable consumer on the event stream)
 *  beginShutdown: POST /events answers 503 · stop: listener closed, sinks stopped
 * ```
 * Events are stored through a `ClientCore` on the node's transport: exactly what `client.emit` does (same event
 * log, same message, same dedup), with the node as the events' origin.
 */
import { ClientCore } from '../client/client-core.js';
import { eventLogFor } from '../events/event-log-for.js';
import { TransportHealth } from '../http/transport-health.js';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';
import { loadBearerTokens } from './bearer-tokens.js';
import { CloudEventsIngress, EVENTS_PATH } from './cloud-events-ingress.js';
import { CloudEventsMetrics } from './cloud-events-metrics.js';
import { EventSinkDelivery } from './event-sink-delivery.js';
import { parseEventSinks } from './event-sink-routes.js';
import { EventsListener } from './events-listener.js';
import { readGatewayTls } from './gateway-tls.js';

/**
 * How long one posted event may keep retrying an unreachable event log before the request gets 503 (each JetStream
 * publish has its own 5 s bound; a NATS connection known to be down answers 503 at once).
 */
export const INGRESS_EMIT_TIMEOUT_MS = 2_000;

/** Options of {@link CloudEventsGateway}. */
export interface CloudEventsGatewayOptions {
  /** Where `LUCENT_GATEWAY_TOKENS` is read; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** See the module doc. */
export class CloudEventsGateway implements ShardExtension {
  readonly name = 'cloudevents';
  readonly #env: Readonly<Record<string, string | undefined>>;
  #ingress: CloudEventsIngress | undefined = undefined;
  #listener: EventsListener | undefined = undefined;
  #sinks: EventSinkDelivery[] = [];
  #unwatch: (() => void) | undefined = undefined;
  #client: ClientCore | undefined = undefined;
  #unmount: (() => void) | undefined = undefined;

  constructor(options: CloudEventsGatewayOptions = {}) {
    this.#env = options.env ?? process.env;
  }

  /** The port of the own listener, or `undefined` when `/events` is served on the HTTP port. */
  get eventsPort(): number | undefined {
    return this.#listener?.port;
  }

  async start(context: ShardContext): Promise<void> {
    const { config, logger } = context;
    const tokens = loadBearerTokens(config.gatewayTokensFile, this.#env);
    const routes = parseEventSinks(config.eventSink);
    const metrics = new CloudEventsMetrics(context.metrics.registry);
    const health = new TransportHealth(context.clock);
    this.#unwatch = health.watch(context.transport);
    const client = new ClientCore({
      transport: context.transport,
      cluster: context.cluster,
      codec: context.codec,
      origin: context.nodeId,
      clock: context.clock,
      eventReplicas: config.natsReplicas,
      eventDuplicateWindowMs: config.eventDuplicateWindowMs,
      logger: context.logger,
    });
    this.#client = client;
    const ingress = new CloudEventsIngress({
      tokens,
      // The node's HTTP port listens on every interface: without tokens, /events there stays local.
      localOnly: config.eventsPort === 0 && !tokens.required,
      emit: (event) =>
        client.emit(event.type, event.data, {
          id: event.id,
          timeoutMs: INGRESS_EMIT_TIMEOUT_MS,
          ...(event.traceparent === undefined ? {} : { traceparent: event.traceparent }),
        }),
      isConnected: () => health.connected,
      metrics,
      logger,
    });
    this.#ingress = ingress;
    if (config.eventsPort === 0) {
      const routesOfHttp = context.httpRoutes;
      routesOfHttp?.mount(EVENTS_PATH, ingress.handle);
      this.#unmount = () => routesOfHttp?.unmount(EVENTS_PATH);
    } else {
      this.#listener = await EventsListener.start({
        port: config.eventsPort,
        host: config.gatewayHost,
        tls: readGatewayTls(config),
        handler: ingress.handle,
      });
    }
    if (routes.length > 0) {
      const log = await eventLogFor(context.transport, {
        cluster: context.cluster,
        replicas: config.natsReplicas,
        duplicateWindowMs: config.eventDuplicateWindowMs,
        clock: context.clock,
      });
      await log.ensureStreams();
      for (const route of routes) {
        const sink = new EventSinkDelivery({
          route,
          cluster: context.cluster,
          log,
          codec: context.codec,
          clock: context.clock,
          metrics: metrics.forSink(route.name),
          logger,
        });
        await sink.start();
        this.#sinks.push(sink);
      }
    }
    logger.info(
      {
        path: EVENTS_PATH,
        eventsPort: this.#listener?.port ?? 'http',
        tls: this.#listener?.tls ?? false,
        auth: tokens.required,
        sinks: routes.map((route) => `${route.pattern}=${route.logUrl}`),
      },
      'cloudevents.ready',
    );
  }

  beginShutdown(): void {
    this.#ingress?.stopAccepting();
  }

  async stop(): Promise<void> {
    this.#ingress?.stopAccepting();
    this.#unmount?.();
    await this.#listener?.close();
    for (const sink of this.#sinks) await sink.stop().catch(() => undefined);
    this.#sinks = [];
    this.#unwatch?.();
    this.#client?.markClosed();
  }
}
