/**
 * The HTTP face of a shard node, for orchestrators and Prometheus:
 *
 * ```
 *  GET /healthz  liveness: 200 {"status":"ok", …} while healthy, 503 {"status":"unhealthy","reasons":[…]} while
 *                the error rate or the event-loop delay is past its bound (`health-policy.ts`); either way the
 *                body says whether the node is ready and, if not, why (a node without NATS is alive, not ready)
 *  GET /readyz   200 {"status":"ready"} once the node has joined, while its connection is up and until shutdown
 *                begins, else 503 {"status":"not ready","reasons":["<reason>"]}
 *  GET /metrics  200 Prometheus text of the node's registry
 *  anything else 404; a method other than GET/HEAD on a known path 405
 *  mounted paths (e.g. POST /events, the CloudEvents gateway) go to their handler, whatever the method
 * ```
 * Plain `node:http`: three routes do not need a framework, and this keeps the dependency list short.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@lucent/core/internal';
import type { HealthVerdict } from './health-policy.js';

/** What the endpoints read. */
export interface HttpProbeSource {
  /** True while `/readyz` should answer 200. Called per request; keep it cheap. */
  isReady(): boolean;
  /** Why the node is not ready (`'starting'`, `'NATS disconnected …'`); read only when `isReady()` is false. */
  notReadyReason?(): string | undefined;
  /** The liveness verdict for `/healthz`; without it the node is healthy while it answers. */
  health?(): HealthVerdict;
  /** The Prometheus exposition for `/metrics`. */
  metricsText(): Promise<string>;
  readonly metricsContentType: string;
}

/** Serves one request to a mounted path; answers it itself and never throws. */
export type HttpRouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The part of the node's HTTP server that extensions add routes through. */
export interface HttpRoutes {
  mount(path: string, handler: HttpRouteHandler): void;
  unmount(path: string): void;
}

export interface NodeHttpServerOptions {
  /** 0 picks a free port; read the bound one from {@link NodeHttpServer.port}. */
  readonly port: number;
  /** Interface to bind (default: all interfaces). */
  readonly host?: string;
  readonly source: HttpProbeSource;
  /** Told about a failed `/metrics` collection (the response is then 500). */
  readonly onError?: (error: unknown) => void;
}

/** A running HTTP server. Create with {@link NodeHttpServer.start}. */
export class NodeHttpServer implements HttpRoutes {
  readonly #server: Server;
  readonly #source: HttpProbeSource;
  readonly #onError: ((error: unknown) => void) | undefined;
  #closed: Promise<void> | undefined = undefined;
  readonly #mounted = new Map<string, HttpRouteHandler>();

  private constructor(server: Server, options: NodeHttpServerOptions) {
    this.#server = server;
    this.#source = options.source;
    this.#onError = options.onError;
  }

  /**
   * Listens and resolves once bound. Rejects with `ConfigError` (field `httpPort`) when the port cannot be
   * bound (in use, no permission).
   */
  static start(options: NodeHttpServerOptions): Promise<NodeHttpServer> {
    const server = createServer();
    const http = new NodeHttpServer(server, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => http.#route(req, res));
    // Probes and scrapes are tiny; a stuck client must not hold a socket (or shutdown) for long.
    server.keepAliveTimeout = 5_000;
    server.requestTimeout = 10_000;
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(
          new ConfigError(
            {
              subject: 'lucent-node HTTP server',
              field: 'httpPort',
              reason: `cannot listen on ${options.port}: ${error.message}`,
            },
            { cause: error },
          ),
        );
      };
      server.once('error', onError);
      server.listen(options.port, options.host, () => {
        server.off('error', onError);
        resolve(http);
      });
    });
  }

  /** The bound port (the real one when started with port 0). */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Serves `path` (exact, query ignored) with `handler` from now on; a later mount of the same path replaces it. */
  mount(path: string, handler: HttpRouteHandler): void {
    this.#mounted.set(path, handler);
  }

  /** Stops serving a mounted `path` (404 again). */
  unmount(path: string): void {
    this.#mounted.delete(path);
  }

  /** Stops listening and closes open connections (keep-alive ones included). Idempotent; never rejects. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0] as string;
    const mounted = this.#mounted.get(path);
    if (mounted !== undefined) {
      mounted(req, res);
      return;
    }
    if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') {
      send(res, 404, 'not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'method not allowed\n');
      return;
    }
    if (path === '/healthz') this.#healthz(res);
    else if (path === '/readyz') {
      if (this.#source.isReady()) sendJson(res, 200, { status: 'ready' });
      else sendJson(res, 503, { status: 'not ready', reasons: [this.#notReadyReason()] });
    } else void this.#metrics(res);
  }

  #healthz(res: ServerResponse): void {
    const verdict = this.#source.health?.();
    const ready = this.#source.isReady();
    const readiness = ready ? { ready } : { ready, notReady: this.#notReadyReason() };
    const load =
      verdict === undefined
        ? {}
        : {
            errorRate: Number(verdict.errorRate.toFixed(4)),
            requests: verdict.requests,
            eventLoopDelayMaxMs: Math.round(verdict.eventLoopDelayMaxMs),
          };
    if (verdict === undefined || verdict.healthy) sendJson(res, 200, { status: 'ok', ...readiness, ...load });
    else sendJson(res, 503, { status: 'unhealthy', reasons: verdict.reasons, ...readiness, ...load });
  }

  #notReadyReason(): string {
    return this.#source.notReadyReason?.() ?? 'starting or shutting down';
  }

  async #metrics(res: ServerResponse): Promise<void> {
    try {
      const text = await this.#source.metricsText();
      send(res, 200, text, this.#source.metricsContentType);
    } catch (error) {
      this.#onError?.(error);
      send(res, 500, 'metrics collection failed\n');
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  send(res, status, `${JSON.stringify(body)}\n`, 'application/json');
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
