/**
 * Counters of the gateway listeners, on the node's registry:
 *
 * ```
 *  lucent_gateway_unauthenticated_total{listener}   requests refused before any work: no or a wrong bearer token
 * ```
 * Meant for every gateway listener, told apart by `listener` (whichever starts first registers the family); the
 * gRPC listener counts here. The CloudEvents HTTP listener, built in parallel, still counts in its own
 * `lucent_cloudevents_unauthenticated_total` (`cloud-events-metrics.ts`).
 */
import type { Registry } from 'prom-client';
import { type CounterChild, CounterFamily } from '../metrics/metric-families.js';

export const UNAUTHENTICATED_METRIC = 'lucent_gateway_unauthenticated_total';

/** The listeners that count. */
export type GatewayListener = 'grpc' | 'http';

/**
 * The unauthenticated-requests counter of `listener` on `registry` (registered on first use), or a detached one
 * without a registry. Bind once per listener.
 */
export function unauthenticatedCounter(registry: Registry | undefined, listener: GatewayListener): CounterChild {
  const registered = registry?.getSingleMetric(UNAUTHENTICATED_METRIC);
  if (registered instanceof CounterFamily) return registered.bind([listener]);
  const family = new CounterFamily(
    UNAUTHENTICATED_METRIC,
    'Gateway requests refused before any work for a missing or wrong bearer token',
    ['listener'],
  );
  if (registry !== undefined) family.register(registry);
  return family.bind([listener]);
}
