/**
 * Counters of the gateway listeners, on the node's registry:
 *
 * ```
 *  lucent_gateway_unauthenticated_total{listener}   requests refused before any work: no or a wrong bearer token
 * ```
 * One family for every gateway listener, told apart by `listener`: `grpc` (the gRPC port) and `http` (`POST
 * /events`, on the node's HTTP port or its own `--events-port`). Whichever starts first registers it.
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
