import { SimulatedClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { HealthMonitor } from '../src/http/health-monitor.js';
import { assessHealth, type HealthSample, pruneHealthSamples } from '../src/http/health-policy.js';

const policy = { maxErrorRate: 0.05, windowMs: 60_000, minRequests: 20, maxEventLoopDelayMs: 1_000 };
const at = (atMs: number, succeeded: number, failed: number, loopDelayMaxMs = 0): HealthSample => ({
  atMs,
  succeeded,
  failed,
  loopDelayMaxMs,
});

describe('assessHealth', () => {
  it('is healthy without samples or requests', () => {
    expect(assessHealth([], 0, policy)).toMatchObject({ healthy: true, requests: 0, errorRate: 0 });
    expect(assessHealth([at(0, 0, 0), at(1_000, 0, 0)], 1_000, policy).healthy).toBe(true);
  });

  it('is unhealthy past the error rate over the window, counted from the last sample before it', () => {
    // 100 requests before the window with 50 failures do not count; in the window 94 ok, 6 failed: 6 %.
    const samples = [at(0, 50, 50), at(10_000, 50, 50), at(70_000, 144, 56)];
    const verdict = assessHealth(samples, 70_000, policy);
    expect(verdict.requests).toBe(100);
    expect(verdict.errorRate).toBeCloseTo(0.06);
    expect(verdict.healthy).toBe(false);
    expect(verdict.reasons[0]).toMatch(/error rate 6.0 % over the last 60000 ms \(6 of 100 requests\) is above 5.0 %/);
  });

  it('stays healthy at the bound, and below the minimum number of requests', () => {
    expect(assessHealth([at(0, 0, 0), at(1_000, 95, 5)], 1_000, policy).healthy).toBe(true);
    expect(assessHealth([at(0, 0, 0), at(1_000, 9, 10)], 1_000, policy).healthy).toBe(true);
    expect(assessHealth([at(0, 0, 0), at(1_000, 10, 10)], 1_000, policy).healthy).toBe(false);
  });

  it('is unhealthy while a blocked event loop is within the window, healthy once it left it', () => {
    const samples = [at(0, 0, 0), at(1_000, 0, 0, 1_500), at(2_000, 0, 0, 5)];
    expect(assessHealth(samples, 2_000, policy)).toMatchObject({ healthy: false, eventLoopDelayMaxMs: 1_500 });
    expect(assessHealth(samples, 2_000, policy).reasons[0]).toMatch(/event loop blocked for 1500 ms/);
    expect(assessHealth([...samples, at(62_000, 0, 0, 5)], 62_000, policy).healthy).toBe(true);
  });
});

describe('pruneHealthSamples', () => {
  it('keeps the window and the one sample before it', () => {
    const samples = [at(0, 0, 0), at(1_000, 1, 0), at(2_000, 2, 0), at(70_000, 3, 0)];
    pruneHealthSamples(samples, 70_000, 60_000);
    expect(samples.map((sample) => sample.atMs)).toEqual([2_000, 70_000]);
  });
});

describe('HealthMonitor', () => {
  it('samples the counters every second on the clock and judges the window', () => {
    const clock = new SimulatedClock();
    const counters = { succeeded: 0, failed: 0 };
    const monitor = new HealthMonitor({ clock, policy, counters: () => counters });
    monitor.start();
    counters.succeeded = 80;
    clock.advance(1_000);
    counters.failed = 20;
    clock.advance(1_000);
    expect(monitor.verdict()).toMatchObject({ healthy: false, requests: 100, errorRate: 0.2 });
    // A minute of clean traffic later the failures have left the window.
    for (let second = 0; second < 61; second++) {
      counters.succeeded += 10;
      clock.advance(1_000);
    }
    expect(monitor.verdict()).toMatchObject({ healthy: true, errorRate: 0 });
    monitor.stop();
  });
});
