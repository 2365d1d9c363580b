/**
 * `WallTime`: wall time derived from the monotonic reading a caller already made, with the clocks' offset re-read
 * at most once per refresh interval (a step of the host's clock shows within it).
 */
import { type Clock, SimulatedClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { WallTime } from '../src/wall-time.js';

/** A simulated clock whose wall time can be stepped apart from its monotonic time, counting wall reads. */
class SteppableClock implements Clock {
  readonly inner = new SimulatedClock();
  stepMs = 0;
  wallReads = 0;
  now = (): number => this.inner.now();
  wallNow = (): number => {
    this.wallReads++;
    return this.inner.wallNow() + this.stepMs;
  };
  setTimeout = this.inner.setTimeout.bind(this.inner);
  clearTimeout = this.inner.clearTimeout.bind(this.inner);
}

describe('WallTime', () => {
  it('derives the wall time of a monotonic reading without reading the wall clock again', () => {
    const clock = new SteppableClock();
    const wall = new WallTime(clock, 1_000);
    const reads = clock.wallReads;
    for (let i = 0; i < 5; i++) {
      clock.inner.advance(100);
      expect(wall.at(clock.now())).toBe(clock.inner.wallNow());
    }
    expect(clock.wallReads).toBe(reads);
  });

  it('follows a step of the wall clock once the refresh interval has passed', () => {
    const clock = new SteppableClock();
    const wall = new WallTime(clock, 1_000);
    clock.stepMs = 60_000;
    clock.inner.advance(999);
    expect(wall.at(clock.now())).toBe(clock.inner.wallNow());
    clock.inner.advance(1);
    expect(wall.at(clock.now())).toBe(clock.wallNow());
  });
});
