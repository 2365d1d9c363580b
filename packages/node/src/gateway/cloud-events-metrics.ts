/**
 * Metrics of the CloudEvents gateway, bound once per node:
 *
 * ```
 *  lucent_cloudevents_requests_total{status}           POST /events requests by HTTP status (202, 400, 401, …)
 *  lucent_cloudevents_accepted_total                   events stored from accepted requests
 *  lucent_gateway_unauthenticated_total{listener="http"}  requests refused for a missing or wrong bearer token
 *                                                        (the family the gRPC listener counts in too: gateway-metrics.ts)
 *  lucent_event_sink_deliveries_total{sink,outcome}    webhook deliveries: delivered, retried, failed
 * ```
 */
import type { Registry } from 'prom-client';
import { type CounterChild, CounterFamily } from '../metrics/metric-families.js';
import { unauthenticatedCounter } from './gateway-metrics.js';

/** The statuses `POST /events` answers with (each bound once). */
export const INGRESS_STATUSES = [202, 400, 401, 403, 405, 413, 500, 503] as const;
export type IngressStatus = (typeof INGRESS_STATUSES)[number];

/** The counters of one webhook sink. */
export interface SinkDeliveryMetrics {
  /** Answered 2xx (then acknowledged). */
  readonly delivered: CounterChild;
  /** Failed attempts that were tried again. */
  readonly retried: CounterChild;
  /** Deliveries given back to the stream after the retries ran out (redelivered later). */
  readonly failed: CounterChild;
}

/** See the module doc; detached (not exported) without a registry. */
export class CloudEventsMetrics {
  readonly accepted: CounterChild;
  readonly unauthenticated: CounterChild;
  readonly #byStatus = new Map<number, CounterChild>();
  readonly #sink: CounterFamily;

  constructor(registry: Registry | undefined) {
    const requests = new CounterFamily('lucent_cloudevents_requests_total', 'POST /events requests by status', [
      'status',
    ]);
    const accepted = new CounterFamily('lucent_cloudevents_accepted_total', 'CloudEvents stored from requests', []);
    this.#sink = new CounterFamily('lucent_event_sink_deliveries_total', 'Webhook sink deliveries by outcome', [
      'sink',
      'outcome',
    ]);
    for (const status of INGRESS_STATUSES) this.#byStatus.set(status, requests.bind([String(status)]));
    this.accepted = accepted.bind([]);
    this.unauthenticated = unauthenticatedCounter(registry, 'http');
    if (registry !== undefined) {
      for (const family of [requests, accepted, this.#sink]) family.register(registry);
    }
  }

  /** Counts one answered request. */
  answered(status: IngressStatus): void {
    this.#byStatus.get(status)?.inc();
  }

  /** The bound counters of sink `name` (bind once, keep them). */
  forSink(name: string): SinkDeliveryMetrics {
    return {
      delivered: this.#sink.bind([name, 'delivered']),
      retried: this.#sink.bind([name, 'retried']),
      failed: this.#sink.bind([name, 'failed']),
    };
  }
}
