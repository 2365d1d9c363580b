import { ConfigError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../src/backoff.js';
import {
  DEFAULT_MAX_RESTARTS,
  DEFAULT_RESTART_WINDOW_MS,
  DEFAULT_SUPERVISION,
  resolveSupervision,
  superviseFailure,
} from '../src/supervision.js';
import type { Directive } from '../src/types.js';

const backoff = { minMs: 100, maxMs: 1000, jitter: 0 };

describe('backoffDelayMs', () => {
  it('doubles from minMs and caps at maxMs', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, backoff, 0))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
  });

  it('adds up to jitter × delay on top of the capped delay, floored to whole ms', () => {
    const jittery = { minMs: 100, maxMs: 1000, jitter: 0.5 };
    expect(backoffDelayMs(0, jittery, 0)).toBe(100);
    expect(backoffDelayMs(0, jittery, 0.5)).toBe(125);
    expect(backoffDelayMs(0, jittery, 0.999)).toBe(149);
    expect(backoffDelayMs(10, jittery, 0.5)).toBe(1250);
  });

  it('stays finite and exact for huge attempt counts, including minMs 0', () => {
    expect(backoffDelayMs(5000, backoff, 0)).toBe(1000);
    expect(backoffDelayMs(5000, { minMs: 0, maxMs: 10, jitter: 1 }, 0.9)).toBe(0);
  });
});

describe('resolveSupervision', () => {
  it('returns the shared defaults when no options are given', () => {
    expect(resolveSupervision(undefined, 'a')).toBe(DEFAULT_SUPERVISION);
    expect(DEFAULT_SUPERVISION.maxRestarts).toBe(DEFAULT_MAX_RESTARTS);
    expect(DEFAULT_SUPERVISION.windowMs).toBe(DEFAULT_RESTART_WINDOW_MS);
    expect(DEFAULT_SUPERVISION.decide(new Error('x'))).toBe('restart');
  });

  it.each([
    [{ maxRestarts: -1 }, 'supervision.maxRestarts'],
    [{ maxRestarts: 1.5 }, 'supervision.maxRestarts'],
    [{ windowMs: 0 }, 'supervision.windowMs'],
    [{ backoff: { minMs: -1, maxMs: 10, jitter: 0 } }, 'backoff.minMs'],
    [{ backoff: { minMs: 10, maxMs: 5, jitter: 0 } }, 'backoff.maxMs'],
    [{ backoff: { minMs: 1, maxMs: 5, jitter: 2 } }, 'backoff.jitter'],
  ])('rejects %j with ConfigError on %s', (options, field) => {
    try {
      resolveSupervision(options, '/user/a');
      expect.unreachable();
    } catch (error) {
      expect(ConfigError.is(error)).toBe(true);
      expect((error as ConfigError).details.field).toBe(field);
    }
  });
});

describe('superviseFailure', () => {
  const options = resolveSupervision({ backoff, maxRestarts: 3, windowMs: 10_000 }, 'a');
  const facts = (restarts: number[], now: number) => ({ error: new Error('boom'), restarts, now, random: 0 });

  it('grants restarts with exponential delays and records each in the history', () => {
    expect(superviseFailure(options, facts([], 1000))).toEqual({
      directive: 'restart',
      delayMs: 100,
      restarts: [1000],
    });
    expect(superviseFailure(options, facts([1000], 1100))).toEqual({
      directive: 'restart',
      delayMs: 200,
      restarts: [1000, 1100],
    });
    expect(superviseFailure(options, facts([1000, 1100], 1300))).toEqual({
      directive: 'restart',
      delayMs: 400,
      restarts: [1000, 1100, 1300],
    });
  });

  it('stops with budgetExhausted once maxRestarts happened within the window', () => {
    expect(superviseFailure(options, facts([1000, 1100, 1300], 1700))).toEqual({
      directive: 'stop',
      budgetExhausted: true,
    });
  });

  it('forgets restarts that left the window: the budget and the backoff start over', () => {
    // The window is (now - 10 000, now]: a restart exactly 10 000 ms ago no longer counts; two remain (→ 400 ms).
    expect(superviseFailure(options, facts([1000, 1100, 1300], 11_000))).toEqual({
      directive: 'restart',
      delayMs: 400,
      restarts: [1100, 1300, 11_000],
    });
    expect(superviseFailure(options, facts([1000, 1100, 1300], 20_000))).toEqual({
      directive: 'restart',
      delayMs: 100,
      restarts: [20_000],
    });
  });

  it('never restarts with maxRestarts 0', () => {
    const none = resolveSupervision({ maxRestarts: 0 }, 'a');
    expect(superviseFailure(none, facts([], 0))).toEqual({ directive: 'stop', budgetExhausted: true });
  });

  it.each(['resume', 'stop', 'escalate'] as const)('passes %s through without touching the budget', (directive) => {
    const o = resolveSupervision({ decide: () => directive, maxRestarts: 0 }, 'a');
    const verdict = superviseFailure(o, facts([], 0));
    expect(verdict.directive).toBe(directive);
    if (verdict.directive === 'stop') expect(verdict.budgetExhausted).toBe(false);
  });

  it('chooses per error', () => {
    const decide = (error: unknown): Directive => (error instanceof RangeError ? 'resume' : 'stop');
    const o = resolveSupervision({ decide }, 'a');
    expect(superviseFailure(o, { error: new RangeError('r'), restarts: [], now: 0, random: 0 }).directive).toBe(
      'resume',
    );
    expect(superviseFailure(o, { error: new TypeError('t'), restarts: [], now: 0, random: 0 }).directive).toBe('stop');
  });

  it('stops when decide itself throws or returns something unknown', () => {
    const throwing = resolveSupervision(
      {
        decide: () => {
          throw new Error('broken supervisor');
        },
      },
      'a',
    );
    expect(superviseFailure(throwing, facts([], 0))).toEqual({ directive: 'stop', budgetExhausted: false });
    const odd = resolveSupervision({ decide: () => 'explode' as Directive }, 'a');
    expect(superviseFailure(odd, facts([], 0)).directive).toBe('stop');
  });

  it('applies jitter from the random input', () => {
    const o = resolveSupervision({ backoff: { minMs: 100, maxMs: 1000, jitter: 0.2 } }, 'a');
    expect(superviseFailure(o, { error: 1, restarts: [], now: 0, random: 0.5 })).toMatchObject({ delayMs: 110 });
  });
});
