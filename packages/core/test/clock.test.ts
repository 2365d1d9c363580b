import { describe, expect, it } from 'vitest';
import { SIMULATED_WALL_START_MS, SimulatedClock, systemClock } from '../src/clock.js';

describe('SimulatedClock', () => {
  it('moves monotonic and wall time together, from configurable starts', () => {
    const clock = new SimulatedClock(500, 1_000_000);
    expect([clock.now(), clock.wallNow()]).toEqual([500, 1_000_000]);
    clock.advance(250);
    expect([clock.now(), clock.wallNow()]).toEqual([750, 1_000_250]);
    const byDefault = new SimulatedClock();
    expect([byDefault.now(), byDefault.wallNow()]).toEqual([0, SIMULATED_WALL_START_MS]);
  });

  it('fires due timers in time order (ties in scheduling order), with time at each timer, including timers they schedule', () => {
    const clock = new SimulatedClock();
    const fired: string[] = [];
    const at = (name: string) => () =>
      fired.push(`${name}@${clock.now()}/${clock.wallNow() - SIMULATED_WALL_START_MS}`);
    clock.setTimeout(at('c'), 30);
    clock.setTimeout(at('a'), 10);
    clock.setTimeout(at('b'), 10);
    clock.setTimeout(() => {
      fired.push('d');
      clock.setTimeout(at('e'), 5);
    }, 20);
    const cancelled = clock.setTimeout(at('x'), 15);
    clock.clearTimeout(cancelled);
    clock.clearTimeout(cancelled); // a no-op the second time
    clock.advance(24);
    expect(fired).toEqual(['a@10/10', 'b@10/10', 'd']);
    expect(clock.now()).toBe(24);
    clock.advance(100);
    expect(fired).toEqual(['a@10/10', 'b@10/10', 'd', 'e@25/25', 'c@30/30']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never moves time back', () => {
    const clock = new SimulatedClock(100);
    clock.advance(-50);
    expect(clock.now()).toBe(100);
  });
});

describe('systemClock', () => {
  it('reads the host clocks and runs timers', async () => {
    expect(Math.abs(systemClock.wallNow() - Date.now())).toBeLessThan(1_000);
    const before = systemClock.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    // One zero-delay timer (a turn of the event loop, not a sleep) and one cleared timer.
    let cleared = false;
    systemClock.clearTimeout(
      systemClock.setTimeout(() => {
        cleared = true;
      }, 0),
    );
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 0));
    expect(cleared).toBe(false);
  });
});
