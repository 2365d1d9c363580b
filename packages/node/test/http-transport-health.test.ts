/**
 * `TransportHealth` from transport status events (simulated clock), and the HTTP probes reading it: `/readyz`
 * 503 with the reason while the connection is down, `/healthz` 200 saying why the node is not ready.
 */
import { SimulatedClock } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthVerdict } from '../src/http/health-policy.js';
import { NodeHttpServer } from '../src/http/node-http-server.js';
import { TransportHealth } from '../src/http/transport-health.js';

let server: NodeHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('TransportHealth', () => {
  it('is down from the first disconnect until reconnected, and says for how long', () => {
    const clock = new SimulatedClock();
    const health = new TransportHealth(clock);
    expect(health.connected).toBe(true);
    expect(health.reason()).toBeUndefined();
    health.update({ type: 'disconnected', server: '127.0.0.1:4222' });
    clock.advance(1500);
    health.update({ type: 'reconnecting', attempt: 3 });
    expect(health.connected).toBe(false);
    expect(health.reason()).toBe('NATS disconnected from 127.0.0.1:4222 for 1500 ms (reconnecting)');
    health.update({ type: 'reconnected', server: '127.0.0.1:4222' });
    expect(health.connected).toBe(true);
    health.update({ type: 'closed' });
    health.update({ type: 'reconnected', server: 'x' });
    expect(health.reason()).toBe('NATS connection closed');
  });
});

describe('HTTP probes', () => {
  it('answer /readyz 503 and /healthz 200, both with the reason, while not ready', async () => {
    const health = new TransportHealth(new SimulatedClock());
    server = await NodeHttpServer.start({
      port: 0,
      host: '127.0.0.1',
      source: {
        isReady: () => health.connected,
        notReadyReason: () => health.reason(),
        metricsText: async () => '',
        metricsContentType: 'text/plain',
      },
    });
    expect(await get('/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
    health.update({ type: 'disconnected', server: 'n' });
    expect(await get('/readyz')).toEqual({
      status: 503,
      body: { status: 'not ready', reasons: ['NATS disconnected from n for 0 ms (reconnecting)'] },
    });
    expect(await get('/healthz')).toEqual({
      status: 200,
      body: { status: 'ok', ready: false, notReady: 'NATS disconnected from n for 0 ms (reconnecting)' },
    });
  });

  it('answer /healthz 503 with the reasons and the numbers while the verdict is unhealthy', async () => {
    let verdict: HealthVerdict = {
      healthy: true,
      reasons: [],
      errorRate: 0.01,
      requests: 100,
      eventLoopDelayMaxMs: 3,
      windowMs: 60_000,
    };
    server = await NodeHttpServer.start({
      port: 0,
      host: '127.0.0.1',
      source: {
        isReady: () => true,
        health: () => verdict,
        metricsText: async () => '',
        metricsContentType: 'text/plain',
      },
    });
    expect(await get('/healthz')).toEqual({
      status: 200,
      body: { status: 'ok', ready: true, errorRate: 0.01, requests: 100, eventLoopDelayMaxMs: 3 },
    });
    verdict = {
      healthy: false,
      reasons: ['error rate too high'],
      errorRate: 0.5,
      requests: 40,
      eventLoopDelayMaxMs: 2,
      windowMs: 60_000,
    };
    expect(await get('/healthz')).toEqual({
      status: 503,
      body: {
        status: 'unhealthy',
        reasons: ['error rate too high'],
        ready: true,
        errorRate: 0.5,
        requests: 40,
        eventLoopDelayMaxMs: 2,
      },
    });
  });
});

async function get(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${server?.port}${path}`);
  expect(response.headers.get('content-type')).toBe('application/json');
  return { status: response.status, body: await response.json() };
}
