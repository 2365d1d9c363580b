/**
 * The CloudEvents gateway's own listener (`--events-port`): only `POST /events`, on `--gateway-host` (127.0.0.1
 * unless told otherwise), with TLS when `--gateway-tls-cert`/`--gateway-tls-key` are set and mTLS with
 * `--gateway-tls-client-ca` (a client without a certificate that CA signed fails the handshake).
 * Without `--events-port` the same handler is mounted on the node's HTTP port instead (`node-http-server.ts`).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@lucent/core/internal';
import type { HttpRouteHandler } from '../http/node-http-server.js';
import { EVENTS_PATH } from './cloud-events-ingress.js';
import type { GatewayTls } from './gateway-tls.js';

/** Options of {@link EventsListener.start}. */
export interface EventsListenerOptions {
  /** 0 picks a free port; read the bound one from {@link EventsListener.port}. */
  readonly port: number;
  readonly host: string;
  /** TLS material; `undefined` serves plaintext HTTP. */
  readonly tls: GatewayTls | undefined;
  readonly handler: HttpRouteHandler;
}

/** A running listener. Create with {@link EventsListener.start}. */
export class EventsListener {
  readonly #server: Server;
  readonly tls: boolean;
  #closed: Promise<void> | undefined = undefined;

  private constructor(server: Server, tls: boolean) {
    this.#server = server;
    this.tls = tls;
  }

  /** Listens and resolves once bound. Rejects with `ConfigError` (field `eventsPort`) when it cannot bind. */
  static start(options: EventsListenerOptions): Promise<EventsListener> {
    const route = (req: IncomingMessage, res: ServerResponse): void => {
      if ((req.url ?? '/').split('?', 1)[0] === EVENTS_PATH) {
        options.handler(req, res);
        return;
      }
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('not found (POST CloudEvents to /events)\n');
    };
    const { tls } = options;
    const server: Server =
      tls === undefined
        ? createHttpServer(route)
        : (createHttpsServer(
            {
              cert: tls.cert,
              key: tls.key,
              ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }),
            },
            route,
          ) as unknown as Server);
    server.keepAliveTimeout = 5_000;
    server.requestTimeout = 30_000;
    const listener = new EventsListener(server, tls !== undefined);
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(
          new ConfigError(
            {
              subject: 'lucent-node option --events-port',
              field: 'eventsPort',
              reason: `cannot listen on ${options.host}:${options.port}: ${error.message}`,
            },
            { cause: error },
          ),
        );
      };
      server.once('error', onError);
      server.listen(options.port, options.host, () => {
        server.off('error', onError);
        resolve(listener);
      });
    });
  }

  /** The bound port. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Stops listening and closes open connections. Idempotent; never rejects. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }
}
