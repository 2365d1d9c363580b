import { describe, expect, it } from 'vitest';
import { DEADLINE_MARGIN_MS, timeoutForDeadline } from '../src/gateway/grpc-deadline.js';

describe('timeoutForDeadline', () => {
  const now = 1_767_225_600_000;

  it('uses the default timeout when the call has no deadline', () => {
    expect(timeoutForDeadline(Number.POSITIVE_INFINITY, now, 10_000)).toBe(10_000);
  });

  it('keeps back a margin (at most 50 ms, a tenth of short deadlines) so Lucent answers before the caller gives up', () => {
    expect(timeoutForDeadline(now + 2_000, now, 10_000)).toBe(2_000 - DEADLINE_MARGIN_MS);
    expect(timeoutForDeadline(new Date(now + 100), now, 10_000)).toBe(90);
    // Longer than the default: the caller's deadline wins.
    expect(timeoutForDeadline(now + 60_000, now, 10_000)).toBe(60_000 - DEADLINE_MARGIN_MS);
  });

  it('answers 0 for a deadline already passed, and at least 1 ms for one just ahead', () => {
    expect(timeoutForDeadline(now, now, 10_000)).toBe(0);
    expect(timeoutForDeadline(now - 5, now, 10_000)).toBe(0);
    expect(timeoutForDeadline(now + 0.5, now, 10_000)).toBe(1);
  });
});
