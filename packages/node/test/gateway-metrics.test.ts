import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { UNAUTHENTICATED_METRIC, unauthenticatedCounter } from '../src/gateway/gateway-metrics.js';

describe('unauthenticatedCounter', () => {
  it('counts per listener in one family on the node registry, whichever listener registers it first', async () => {
    const registry = new Registry();
    const grpc = unauthenticatedCounter(registry, 'grpc');
    const http = unauthenticatedCounter(registry, 'http');
    grpc.inc();
    grpc.inc();
    http.inc();
    expect(unauthenticatedCounter(registry, 'grpc')).toBe(grpc);
    const text = await registry.metrics();
    expect(text).toContain(`${UNAUTHENTICATED_METRIC}{listener="grpc"} 2`);
    expect(text).toContain(`${UNAUTHENTICATED_METRIC}{listener="http"} 1`);
  });

  it('works detached, without a registry', () => {
    const counter = unauthenticatedCounter(undefined, 'grpc');
    counter.inc();
    expect(counter.value).toBe(1);
  });
});
