import { describe, expect, it } from 'vitest';
import { LogThrottle, SUPPRESS } from '../src/log-throttle.js';

describe('LogThrottle', () => {
  it('admits `limit` lines per key per window, then reports how many it suppressed', () => {
    let now = 0;
    const throttle = new LogThrottle({ limit: 3, windowMs: 1_000, now: () => now });
    const first = Array.from({ length: 10 }, () => throttle.admit('decode'));
    expect(first).toEqual([0, 0, 0, SUPPRESS, SUPPRESS, SUPPRESS, SUPPRESS, SUPPRESS, SUPPRESS, SUPPRESS]);
    // Another kind of warning has its own budget.
    expect(throttle.admit('timeout')).toBe(0);
    now = 999;
    expect(throttle.admit('decode')).toBe(SUPPRESS);
    now = 1_000;
    expect(throttle.admit('decode')).toBe(8);
    expect(throttle.admit('decode')).toBe(0);
  });
});
