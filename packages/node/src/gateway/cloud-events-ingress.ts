/**
 * `POST /events`: CloudEvents over HTTP into the cluster's durable event stream.
 *
 * ```
 *  request ─► method POST? ── no ─► 405
 *          ─► local only and the peer not loopback? ── yes ─► 403 (counted as unauthenticated)
 *          ─► bearer token ok? ── no ─► 401 (counted)            checked before anything is read
 *          ─► shutting down or NATS down? ── yes ─► 503 + Retry-After
 *          ─► body ≤ maxBodyBytes? ── no ─► 413 (connection closed, body not read further)
 *          ─► parseCloudEvents ── invalid ─► 400 with the reason (nothing published)
 *          ─► emit each event (as client.emit, dedup id from source + id) ── stored ─► 202 {accepted, ids}
 *                                      └─ NATS timeout / unavailable / full ─► 503 + Retry-After
 * ```
 * A batch is accepted whole or answered with an error; after a 503 some of its events may be stored, and posting
 * the same batch again stores only the rest (every event keeps its dedup id). Errors are JSON
 * `{ "error": { "code", "message" } }` with the Lucent code (`LUCENT_INVALID_CLOUD_EVENT`, …).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  EncodeError,
  InvalidCloudEventError,
  type LucentError,
  NodeUnavailableError,
  RequestTooLargeError,
  ShuttingDownError,
  TimeoutError,
  toLucentError,
} from '@lucent/core/internal';
import type { Logger } from '../logging.js';
import type { BearerTokens } from './bearer-tokens.js';
import type { CloudEventsMetrics, IngressStatus } from './cloud-events-metrics.js';
import { isLoopbackAddress } from './loopback-address.js';
import type { LucentEventFromCloudEvent } from './lucent-cloud-event.js';
import { parseCloudEvents } from './parse-cloud-events.js';
import { readLimitedBody } from './read-limited-body.js';

/** The path events are posted to. */
export const EVENTS_PATH = '/events';
/** Default {@link CloudEventsIngressOptions.maxBodyBytes}: the node's largest message (1 MiB). */
export const DEFAULT_EVENTS_MAX_BODY_BYTES = 1024 * 1024;
/** What a 503 tells the sender to wait before trying again (NATS reconnects within seconds). */
export const RETRY_AFTER_SECONDS = 2;
/** Events of one batch being stored at once. */
const PUBLISH_WINDOW = 64;

/** Options of {@link CloudEventsIngress}. */
export interface CloudEventsIngressOptions {
  readonly tokens: BearerTokens;
  /**
   * Answer only clients on this host's loopback (403 to others): set when `/events` rides on the node's HTTP port,
   * which listens on every interface, and no token was configured. Default false.
   */
  readonly localOnly?: boolean;
  /** Stores one event exactly as `client.emit(type, data, { id })` does; resolves once the stream stored it. */
  readonly emit: (event: LucentEventFromCloudEvent) => Promise<unknown>;
  /** False while the connection to NATS is down (such requests get 503 without waiting for a timeout). */
  readonly isConnected: () => boolean;
  /** Largest request body accepted; default {@link DEFAULT_EVENTS_MAX_BODY_BYTES}. */
  readonly maxBodyBytes?: number;
  readonly metrics: CloudEventsMetrics;
  readonly logger?: Logger;
}

/** See the module doc. {@link handle} is the request listener; it never throws. */
export class CloudEventsIngress {
  readonly #options: CloudEventsIngressOptions;
  readonly #maxBodyBytes: number;
  #stopping = false;

  constructor(options: CloudEventsIngressOptions) {
    this.#options = options;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_EVENTS_MAX_BODY_BYTES;
  }

  /** From now on every request is answered 503 (the node is shutting down). Idempotent. */
  stopAccepting(): void {
    this.#stopping = true;
  }

  /** Serves one request to {@link EVENTS_PATH}. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#serve(req, res).catch((error: unknown) => {
      // A client that went away mid-request is nobody's failure: nothing to answer, nothing to log.
      if (req.destroyed && !req.complete) return;
      this.#options.logger?.warn({ err: error }, 'cloudevents.request_failed');
      if (!res.headersSent) this.#fail(res, 500, toLucentError(error, EVENTS_PATH));
      else res.destroy();
    });
  };

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { tokens, metrics } = this.#options;
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      this.#answer(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'POST CloudEvents to /events' } }, true);
      return;
    }
    if (this.#options.localOnly === true && !isLoopbackAddress(req.socket.remoteAddress)) {
      metrics.unauthenticated.inc();
      const message =
        '/events on the node HTTP port answers only local clients while no gateway token is set: set ' +
        'LUCENT_GATEWAY_TOKENS (or --gateway-tokens-file), or serve it on --events-port with --gateway-host';
      this.#answer(res, 403, { error: { code: 'FORBIDDEN', message } }, true);
      return;
    }
    if (!tokens.acceptsHeader(req.headers.authorization)) {
      metrics.unauthenticated.inc();
      res.setHeader('WWW-Authenticate', 'Bearer');
      const error = { code: 'UNAUTHENTICATED', message: 'a valid bearer token is required (authorization: Bearer …)' };
      this.#answer(res, 401, { error }, true);
      return;
    }
    if (this.#stopping) {
      this.#fail(res, 503, new ShuttingDownError({ node: 'this node' }), true);
      return;
    }
    if (!this.#options.isConnected()) {
      this.#fail(res, 503, new NodeUnavailableError({ node: 'jetstream', reason: 'NATS is disconnected' }), true);
      return;
    }
    const body = await readLimitedBody(req, this.#maxBodyBytes);
    if (body === undefined) {
      const error = new RequestTooLargeError({ what: 'the request body', limitBytes: this.#maxBodyBytes });
      this.#fail(res, 413, error, true);
      return;
    }
    let events: LucentEventFromCloudEvent[];
    try {
      events = parseCloudEvents({ headers: req.headers, body });
    } catch (error) {
      if (!InvalidCloudEventError.is(error)) throw error;
      this.#fail(res, 400, error);
      return;
    }
    try {
      await this.#store(events);
    } catch (thrown) {
      const error = toLucentError(thrown, EVENTS_PATH);
      const status = statusOf(error);
      if (status === 500) this.#options.logger?.warn({ err: error }, 'cloudevents.publish_failed');
      this.#fail(res, status, error);
      return;
    }
    metrics.accepted.inc(events.length);
    this.#answer(res, 202, { accepted: events.length, ids: events.map((event) => event.id) });
  }

  /** Stores every event, at most {@link PUBLISH_WINDOW} at a time; rejects with the first failure. */
  async #store(events: readonly LucentEventFromCloudEvent[]): Promise<void> {
    const { emit } = this.#options;
    for (let start = 0; start < events.length; start += PUBLISH_WINDOW) {
      await Promise.all(events.slice(start, start + PUBLISH_WINDOW).map(emit));
    }
  }

  #fail(res: ServerResponse, status: IngressStatus, error: LucentError, close = false): void {
    if (status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    this.#answer(res, status, { error: { code: error.code, message: error.message } }, close);
  }

  /**
   * Sends `body` as JSON. `close` ends the connection afterwards: the request body was not read, and reading it
   * to keep the connection alive would be the work the early answer avoids.
   */
  #answer(res: ServerResponse, status: IngressStatus, body: unknown, close = false): void {
    this.#options.metrics.answered(status);
    const text = JSON.stringify(body);
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', Buffer.byteLength(text));
    if (close) res.setHeader('Connection', 'close');
    res.end(text);
  }
}

/** The HTTP status of a failed publish. */
function statusOf(error: LucentError): IngressStatus {
  if (TimeoutError.is(error) || NodeUnavailableError.is(error) || ShuttingDownError.is(error)) return 503;
  if (EncodeError.is(error)) return 413;
  if (error.code === 'LUCENT_CONFIG') return 400;
  return 500;
}
