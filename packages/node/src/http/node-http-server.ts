/**
 * The HTTP face of a shard node, for orchestrators and Prometheus:
 *
 * ```
 *  GET /healthz  200 "ok" while the process serves HTTP at all (liveness)
 *  GET /readyz   200 "ready" once the node has joined and until shutdown begins, else 503 "not ready"
 *  GET /metrics  200 Prometheus text of the node's registry
 *  anything else 404; a method other than GET/HEAD on a known path 405
 * ```
 * Plain `node:http`: three routes do not need a framework, and this keeps the dependency list short.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@lucent/core/internal';

/** What the endpoints read. */
export interface HttpProbeSource {
  /** True while `/readyz` should answer 200. Called per request; keep it cheap. */
  isReady(): boolean;
  /** The Prometheus exposition for `/metrics`. */
  metricsText(): Promise<string>;
  readonly metricsContentType: string;
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
export class NodeHttpServer {
  readonly #server: Server;
  readonly #source: HttpProbeSource;
  readonly #onError: ((error: unknown) => void) | undefined;
  #closed: Promise<void> | undefined = undefined;

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

  /** Stops listening and closes open connections (keep-alive ones included). Idempotent; never rejects. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') {
      send(res, 404, 'not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'method not allowed\n');
      return;
    }
    if (path === '/healthz') send(res, 200, 'ok\n');
    else if (path === '/readyz') {
      if (this.#source.isReady()) send(res, 200, 'ready\n');
      else send(res, 503, 'not ready\n');
    } else void this.#metrics(res);
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

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
