/**
 * One webhook sink: stored events whose type matches its pattern, POSTed as structured-mode CloudEvents,
 * at least once.
 *
 * ```
 *  event stream ─► durable consumer sink--… (shared by the nodes with this sink) ─► delivery
 *      delivery ─► decode ─► matches pattern? ── no ──────────────────────────────► ack (not for this sink)
 *                                 │ yes
 *                   toCloudEvent ─► POST (cockatiel: timeout per attempt, retries with exponential backoff)
 *                                 ├─ 2xx ─► ack
 *                                 └─ retries spent ─► nak(REDELIVERY_DELAY_MS): the stream delivers it again later
 * ```
 * The delivery is acknowledged only after the webhook answered 2xx, so a node that dies mid-POST leaves it to the
 * ack wait and another node (or itself, later) delivers it again: a webhook can see an event twice and should
 * deduplicate on the CloudEvent `id` (stable across deliveries). `time` is when the sink sent it.
 */
import {
  type Clock,
  deadLetterSubject,
  type Envelope,
  type EnvelopeCodec,
  type RetryPolicy,
} from '@lucent/core/internal';
import { HTTP } from 'cloudevents';
import { ExponentialBackoff, handleAll, type IPolicy, retry, TimeoutStrategy, timeout, wrap } from 'cockatiel';
import type { EventConsumerPlan } from '../events/event-consumer-plan.js';
import type { EventLog, EventLogDelivery, EventLogSubscription } from '../events/event-log.js';
import { decodeEventMessage } from '../events/event-message.js';
import type { Logger } from '../logging.js';
import type { SinkDeliveryMetrics } from './cloud-events-metrics.js';
import { type EventSinkRoute, matchesSinkPattern, sinkFilterSubject } from './event-sink-routes.js';
import { toCloudEvent } from './lucent-cloud-event.js';

/** How a sink retries one delivery in process before giving it back to the stream. */
export const DEFAULT_SINK_RETRY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  backoffMs: 200,
  multiplier: 2,
  maxBackoffMs: 5_000,
  // A webhook's failures are not Lucent codes: every failed delivery is retried (the policy's codes go unused).
  retryOn: [],
});
/** Each POST's bound. */
export const DEFAULT_SINK_ATTEMPT_TIMEOUT_MS = 10_000;
/** A delivery whose retries were spent is offered again after this long (the webhook may be back by then). */
export const REDELIVERY_DELAY_MS = 5_000;
/** Deliveries of one sink in flight across the cluster. */
const SINK_MAX_ACK_PENDING = 64;
/** A sink never gives an event up (at least once); the stream's retention bounds how long it keeps trying. */
const SINK_MAX_DELIVERIES = 1_000_000;

/** Options of {@link EventSinkDelivery}. */
export interface EventSinkDeliveryOptions {
  readonly route: EventSinkRoute;
  readonly cluster: string;
  readonly log: EventLog;
  readonly codec: EnvelopeCodec;
  /** `time` of the CloudEvents sent (`wallNow`). */
  readonly clock: Clock;
  readonly metrics: SinkDeliveryMetrics;
  readonly logger?: Logger;
  /** Attempts per delivery and the backoff between them; default {@link DEFAULT_SINK_RETRY}. */
  readonly retry?: RetryPolicy;
  /** Default {@link DEFAULT_SINK_ATTEMPT_TIMEOUT_MS}. */
  readonly attemptTimeoutMs?: number;
  /** A delivery unanswered this long goes to another node (each attempt restarts it). Default 30 000 ms. */
  readonly ackWaitMs?: number;
  /** Sends one POST; default {@link postWebhook} (`fetch`). Tests pass a webhook twin. */
  readonly post?: WebhookPost;
}

/** One webhook call: resolves on 2xx, rejects otherwise (or when `signal` aborts it). */
export type WebhookPost = (
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
) => Promise<void>;

/** The webhook answered, but not 2xx. */
class WebhookStatusError extends Error {
  constructor(readonly status: number) {
    super(`webhook answered ${status}`);
  }
}

/** See the module doc. `start()` at node start, `stop()` at shutdown. */
export class EventSinkDelivery {
  readonly plan: EventConsumerPlan;
  readonly #options: EventSinkDeliveryOptions;
  readonly #policy: IPolicy<{ signal: AbortSignal }>;
  readonly #stopped = new AbortController();
  readonly #post: WebhookPost;
  #subscription: EventLogSubscription | undefined = undefined;
  /** Deliveries acknowledged after a 2xx (or not for this sink). */
  delivered = 0;

  constructor(options: EventSinkDeliveryOptions) {
    this.#options = options;
    this.#post = options.post ?? postWebhook;
    const { route, cluster } = options;
    const policy = options.retry ?? DEFAULT_SINK_RETRY;
    this.plan = {
      name: route.name,
      functionName: route.name,
      eventType: route.pattern,
      filterSubject: sinkFilterSubject(cluster, route.pattern),
      deadLetterSubject: deadLetterSubject(cluster, route.name),
      maxDeliver: SINK_MAX_DELIVERIES,
      maxDeliveries: SINK_MAX_DELIVERIES,
      ackWaitMs: options.ackWaitMs ?? 30_000,
      maxAckPending: SINK_MAX_ACK_PENDING,
      retry: policy,
    };
    const retries = retry(handleAll, {
      // cockatiel counts retries, not attempts.
      maxAttempts: policy.maxAttempts - 1,
      backoff: new ExponentialBackoff({
        initialDelay: policy.backoffMs,
        maxDelay: policy.maxBackoffMs,
        exponent: policy.multiplier,
      }),
    });
    retries.onRetry(() => options.metrics.retried.inc());
    this.#policy = wrap(
      retries,
      timeout(options.attemptTimeoutMs ?? DEFAULT_SINK_ATTEMPT_TIMEOUT_MS, TimeoutStrategy.Aggressive),
    );
  }

  /** Creates the durable consumer (idempotent) and starts delivering. Rejects like `EventLog.consume`. */
  async start(): Promise<void> {
    const { log } = this.#options;
    await log.ensureConsumer(this.plan);
    this.#subscription = await log.consume(this.plan, (delivery) => void this.#deliver(delivery));
  }

  /** Stops taking deliveries and cancels the POSTs in flight (their deliveries come back after the ack wait). */
  async stop(): Promise<void> {
    this.#stopped.abort();
    await this.#subscription?.stop();
    this.#subscription = undefined;
  }

  async #deliver(delivery: EventLogDelivery): Promise<void> {
    const { codec, route, cluster, clock, metrics, logger } = this.#options;
    let envelopes: Envelope[];
    try {
      envelopes = decodeEventMessage(delivery.data, codec);
    } catch (error) {
      // Not an event message: no retry can send it.
      logger?.warn({ err: error, sink: route.name, sequence: delivery.sequence }, 'event_sink.undecodable');
      delivery.ack();
      return;
    }
    try {
      for (const envelope of envelopes) {
        if (!matchesSinkPattern(route.pattern, envelope.target)) continue;
        const event = toCloudEvent(envelope, { cluster, time: new Date(clock.wallNow()).toISOString() });
        const message = HTTP.structured(event);
        await this.#policy.execute(({ signal }) => {
          delivery.working();
          return this.#post(route.url, message.headers as Record<string, string>, message.body as string, signal);
        }, this.#stopped.signal);
        metrics.delivered.inc();
      }
      delivery.ack();
      this.delivered++;
    } catch (error) {
      if (this.#stopped.signal.aborted) return;
      metrics.failed.inc();
      logger?.warn({ err: error, sink: route.name, url: route.logUrl, attempt: delivery.attempt }, 'event_sink.failed');
      delivery.nak(REDELIVERY_DELAY_MS);
    }
  }
}

/** A {@link WebhookPost} with `fetch` (the response body is drained so the socket is reused). */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers, body, signal });
  await response.arrayBuffer().catch(() => undefined);
  if (response.status < 200 || response.status > 299) throw new WebhookStatusError(response.status);
}
