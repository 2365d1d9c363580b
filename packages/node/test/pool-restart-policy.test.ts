/** The pure restart rule of the shard's supervisor, on a simulated clock: exact delays, budget and window. */
import { SimulatedClock } from '@lucent/actors/internal';
import { ConfigError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POOL_MAX_RESTARTS,
  DEFAULT_POOL_RESTART_BACKOFF,
  DEFAULT_POOL_RESTART_WINDOW_MS,
  decidePoolRestart,
  type PoolRestartDecision,
  resolvePoolSupervision,
} from '../src/pool/pool-restart-policy.js';
import { codeOf } from './error-code.js';

const POLICY = resolvePoolSupervision({
  maxRestarts: 3,
  windowMs: 10_000,
  backoff: { minMs: 100, maxMs: 300, jitter: 0 },
});

/** Deaths at the clock's times, feeding each decision's history into the next, as the supervisor does. */
class Deaths {
  readonly clock = new SimulatedClock(1_000);
  restarts: readonly number[] = [];

  die(random = 0): PoolRestartDecision {
    const decision = decidePoolRestart(POLICY, this.restarts, this.clock.now(), random, new Error('dead'));
    if (decision.type === 'restart') this.restarts = decision.restarts;
    return decision;
  }
}

describe('decidePoolRestart', () => {
  it('restarts with doubling, capped delays until maxRestarts, then gives up', () => {
    const deaths = new Deaths();
    expect(deaths.die()).toMatchObject({ type: 'restart', delayMs: 100 });
    deaths.clock.advance(100);
    expect(deaths.die()).toMatchObject({ type: 'restart', delayMs: 200 });
    deaths.clock.advance(200);
    expect(deaths.die()).toMatchObject({ type: 'restart', delayMs: 300 });
    deaths.clock.advance(300);
    expect(deaths.die()).toEqual({ type: 'give-up', restartsInWindow: 3 });
  });

  it('forgets restarts older than the window: the budget and the backoff start over', () => {
    const deaths = new Deaths();
    deaths.die();
    deaths.clock.advance(5_000);
    deaths.die();
    deaths.clock.advance(5_000); // the first restart is now exactly windowMs old: out of the window
    expect(deaths.die()).toMatchObject({ type: 'restart', delayMs: 200, restarts: [6_000, 11_000] });
    deaths.clock.advance(10_001);
    expect(deaths.die()).toMatchObject({ type: 'restart', delayMs: 100, restarts: [21_001] });
  });

  it('adds the jitter share of the delay', () => {
    const jittery = resolvePoolSupervision({ backoff: { minMs: 100, maxMs: 1_000, jitter: 0.5 } });
    expect(decidePoolRestart(jittery, [], 0, 0.5, null)).toMatchObject({ type: 'restart', delayMs: 125 });
  });

  it('gives up at the first death when maxRestarts is 0', () => {
    const none = resolvePoolSupervision({ maxRestarts: 0 });
    expect(decidePoolRestart(none, [], 0, 0, null)).toEqual({ type: 'give-up', restartsInWindow: 0 });
  });

  it('fills in the defaults and rejects invalid options with ConfigError', () => {
    const defaults = resolvePoolSupervision(undefined);
    expect(defaults).toMatchObject({
      maxRestarts: DEFAULT_POOL_MAX_RESTARTS,
      windowMs: DEFAULT_POOL_RESTART_WINDOW_MS,
      backoff: DEFAULT_POOL_RESTART_BACKOFF,
    });
    expect(codeOf(() => resolvePoolSupervision({ maxRestarts: -1 }))).toBe(ConfigError.code);
    expect(codeOf(() => resolvePoolSupervision({ windowMs: 0 }))).toBe(ConfigError.code);
    expect(codeOf(() => resolvePoolSupervision({ backoff: { minMs: 10, maxMs: 5, jitter: 0 } }))).toBe(
      ConfigError.code,
    );
  });
});
