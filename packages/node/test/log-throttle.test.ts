import { SimulatedClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { LogThrottle, SUPPRESS } from '../src/log-throttle.js';

describe('LogThrottle', () => {
  it('admits `limit` lines per key per window, then reports how many it suppressed', () => {
    const clock = new SimulatedClock();
    const throttle = new LogThrottle({ limit: 3, windowMs: 1_000, clock });
    const first = Array.from({ length: 10 }, () => throttle.admit('decode'));
    expect(first).toEqual([0, 0, 0, SUPPRESS, SUPPRESS, SUPPRESS, SUPPRESS, SUPPRESS, SUPPRESS, SUPPRESS]);
    // Another kind of warning has its own budget.
    expect(throttle.admit('timeout')).toBe(0);
    clock.advance(999);
    expect(throttle.admit('decode')).toBe(SUPPRESS);
    clock.advance(1);
    expect(throttle.admit('decode')).toBe(8);
    expect(throttle.admit('decode')).toBe(0);
  });
});
