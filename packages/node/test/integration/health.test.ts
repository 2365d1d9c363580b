/**
 * Liveness (`/healthz`) on a real `lucent-node` process: 503 with the reason once the error rate over the window
 * passes its bound, 200 again once the failures have left the window; and the event-loop check of the monitor
 * against a really blocked loop.
 */
import { systemClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../src/http/health-monitor.js';
import { startNodeProcessCluster } from '../../src/testing/node-process-cluster.js';
import { fixture } from './cli-fixtures.js';

async function healthz(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('/healthz', () => {
  it('is 503 while the error rate over the window is above the bound, 200 once the failures left it', async () => {
    const cluster = await startNodeProcessCluster({
      cluster: 'health',
      nodes: ['h1'],
      args: [
        ...['--threads', '1', '--functions', fixture('math.mjs')],
        ...['--health-window-ms', '3000', '--health-min-requests', '10', '--health-max-error-rate-percent', '20'],
      ],
    });
    const port = cluster.httpPort('h1');
    const client = cluster.client;
    try {
      expect(await healthz(port)).toMatchObject({ status: 200, body: { status: 'ok', ready: true } });
      // 10 failures of 12 requests: 83 %, above 20 %.
      for (let i = 0; i < 10; i++) await expect(client.call('sqrtOrThrow', -1)).rejects.toThrow(/negative input/);
      for (let i = 0; i < 2; i++) expect(await client.call('addOne', i)).toBe(i + 1);
      const unhealthy = await healthz(port);
      expect(unhealthy.status).toBe(503);
      expect(unhealthy.body.status).toBe('unhealthy');
      expect(unhealthy.body.reasons).toEqual([
        expect.stringMatching(/^error rate 83.3 % over the last 3000 ms \(10 of 12/),
      ]);
      // The node keeps serving meanwhile; once the window has passed with good calls only, it is healthy again.
      const deadline = Date.now() + 15_000;
      let last = unhealthy;
      while (last.status !== 200 && Date.now() < deadline) {
        for (let i = 0; i < 5; i++) await client.call('addOne', i);
        await new Promise((resolve) => setTimeout(resolve, 250));
        last = await healthz(port);
      }
      expect(last).toMatchObject({ status: 200, body: { status: 'ok' } });
    } finally {
      await cluster.close();
    }
  }, 60_000);
});

describe('the event-loop check', () => {
  it('sees a loop blocked past the bound within the window', () => {
    const monitor = new HealthMonitor({
      clock: systemClock,
      policy: { maxErrorRate: 0.05, windowMs: 60_000, minRequests: 20, maxEventLoopDelayMs: 100 },
      counters: () => undefined,
    });
    monitor.start();
    try {
      expect(monitor.verdict().healthy).toBe(true);
      return new Promise<void>((resolve, reject) => {
        // Let the histogram take a few samples, then block the loop for 400 ms and look once it is free again.
        setTimeout(() => {
          const until = Date.now() + 400;
          while (Date.now() < until) {
            // busy: the event loop is blocked
          }
          setTimeout(() => {
            try {
              const verdict = monitor.verdict();
              expect(verdict.healthy).toBe(false);
              expect(verdict.eventLoopDelayMaxMs).toBeGreaterThan(300);
              expect(verdict.reasons[0]).toMatch(
                /^event loop blocked for \d+ ms within the last 60000 ms \(bound 100 ms\)/,
              );
              resolve();
            } catch (error) {
              reject(error);
            } finally {
              monitor.stop();
            }
          }, 50);
        }, 100);
      });
    } catch (error) {
      monitor.stop();
      throw error;
    }
  }, 10_000);
});
