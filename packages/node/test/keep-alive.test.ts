import { SimulatedClock, systemClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { keepProcessAlive } from '../src/keep-alive.js';

describe('keepProcessAlive', () => {
  it("refs a systemClock timer (unref'd by default) and leaves a simulated one alone", () => {
    const timer = systemClock.setTimeout(() => {}, 60_000) as NodeJS.Timeout;
    try {
      expect(timer.hasRef()).toBe(false);
      expect(keepProcessAlive(timer)).toBe(timer);
      expect(timer.hasRef()).toBe(true);
    } finally {
      systemClock.clearTimeout(timer);
    }
    const clock = new SimulatedClock();
    let fired = false;
    keepProcessAlive(
      clock.setTimeout(() => {
        fired = true;
      }, 5),
    );
    clock.advance(5);
    expect(fired).toBe(true);
  });
});
