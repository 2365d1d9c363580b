import { describe, expect, it } from 'vitest';
import { SIMULATED_WALL_START_MS } from '../src/clock.js';
import { defineFunction } from '../src/definition.js';
import { ConfigError } from '../src/errors.js';
import { planFiring } from '../src/schedule/firing-plan.js';
import { nextTickAfter, resolveSchedule, ticksBetween } from '../src/schedule/schedule-spec.js';

const T0 = SIMULATED_WALL_START_MS; // 2026-01-01T00:00:00Z
const S = 1_000;

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (ConfigError.is(error)) return (error.details as { field: string }).field;
    throw error;
  }
  return undefined;
}

describe('defineFunction({ schedule })', () => {
  it('resolves the pattern, zone, input and missed policy', () => {
    const fn = defineFunction(
      {
        name: 'report',
        schedule: { cron: '*/5 * * * *', timezone: 'Europe/Berlin', input: { k: 1 }, missed: { catchUp: 3 } },
      },
      () => 1,
    );
    expect(fn.schedule?.cron).toBe('*/5 * * * *');
    expect(fn.schedule?.timezone).toBe('Europe/Berlin');
    expect(fn.schedule?.input).toEqual({ k: 1 });
    expect(fn.schedule?.missed).toEqual({ type: 'catch-up', max: 3 });
    expect(defineFunction({ name: 'plain' }, () => 1).schedule).toBeUndefined();
    expect(defineFunction({ name: 'd', schedule: { cron: '0 * * * *' } }, () => 1).schedule?.missed).toEqual({
      type: 'skip',
    });
  });

  it('rejects a bad pattern, zone, policy or field with ConfigError naming the field', () => {
    expect(fieldOf(() => defineFunction({ name: 'a', schedule: { cron: 'every minute' } }, () => 1))).toBe(
      'schedule.cron',
    );
    expect(fieldOf(() => defineFunction({ name: 'a', schedule: { cron: '61 * * * *' } }, () => 1))).toBe(
      'schedule.cron',
    );
    expect(
      fieldOf(() => defineFunction({ name: 'a', schedule: { cron: '* * * * *', timezone: 'Mars/Base' } }, () => 1)),
    ).toBe('schedule.timezone');
    expect(
      fieldOf(() => defineFunction({ name: 'a', schedule: { cron: '* * * * *', missed: { catchUp: 0 } } }, () => 1)),
    ).toBe('schedule.missed');
    expect(
      fieldOf(() =>
        defineFunction(
          { name: 'a', schedule: { cron: '* * * * *', every: 3 } as unknown as { cron: string } },
          () => 1,
        ),
      ),
    ).toBe('schedule.every');
  });
});

describe('tick arithmetic', () => {
  const everySecond = resolveSchedule({ cron: '* * * * * *' }, 'fn:t')!;
  const everyFiveMinutesBerlin = resolveSchedule({ cron: '0 9 * * *', timezone: 'Europe/Berlin' }, 'fn:t')!;

  it('finds the next tick strictly after a time, in the zone', () => {
    expect(nextTickAfter(everySecond, T0)).toBe(T0 + S);
    expect(nextTickAfter(everySecond, T0 + 500)).toBe(T0 + S);
    // 09:00 in Berlin on 2026-01-01 is 08:00 UTC (CET, +1).
    expect(new Date(nextTickAfter(everyFiveMinutesBerlin, T0)!).toISOString()).toBe('2026-01-01T08:00:00.000Z');
  });

  it('lists the most recent ticks strictly between two times, oldest first, bounded', () => {
    expect(ticksBetween(everySecond, T0, T0 + 5 * S, 10)).toEqual([T0 + S, T0 + 2 * S, T0 + 3 * S, T0 + 4 * S]);
    expect(ticksBetween(everySecond, T0, T0 + 5 * S, 2)).toEqual([T0 + 3 * S, T0 + 4 * S]);
    expect(ticksBetween(everySecond, T0, T0 + S, 5)).toEqual([]);
  });
});

describe('planFiring', () => {
  const skip = resolveSchedule({ cron: '* * * * * *' }, 'fn:t')!;
  const catchUp3 = resolveSchedule({ cron: '* * * * * *', missed: { catchUp: 3 } }, 'fn:t')!;

  it('fires the due tick once: not when the ledger already has it or a later one', () => {
    expect(planFiring({ schedule: skip, lastFiredMs: T0, dueTickMs: T0 + S, nowMs: T0 + S })).toEqual({
      fire: [T0 + S],
      record: T0 + S,
    });
    expect(planFiring({ schedule: skip, lastFiredMs: T0 + S, dueTickMs: T0 + S, nowMs: T0 + S }).fire).toEqual([]);
    expect(planFiring({ schedule: skip, lastFiredMs: T0 + 2 * S, dueTickMs: T0 + S, nowMs: T0 + S }).fire).toEqual([]);
  });

  it('a new schedule has no past: it fires the due tick only, whatever the policy', () => {
    expect(planFiring({ schedule: catchUp3, lastFiredMs: undefined, dueTickMs: T0 + S, nowMs: T0 + S }).fire).toEqual([
      T0 + S,
    ]);
  });

  it("'skip' drops the ticks nobody fired; catch-up runs the newest N of them first", () => {
    const gap = { lastFiredMs: T0, dueTickMs: T0 + 10 * S, nowMs: T0 + 10 * S };
    expect(planFiring({ schedule: skip, ...gap })).toEqual({ fire: [T0 + 10 * S], record: T0 + 10 * S });
    expect(planFiring({ schedule: catchUp3, ...gap })).toEqual({
      fire: [T0 + 7 * S, T0 + 8 * S, T0 + 9 * S, T0 + 10 * S],
      record: T0 + 10 * S,
    });
  });

  it('the start-up check catches up ticks up to now with catch-up, and does nothing with skip', () => {
    const start = { lastFiredMs: T0, dueTickMs: undefined, nowMs: T0 + 4 * S + 500 };
    expect(planFiring({ schedule: skip, ...start })).toEqual({ fire: [], record: undefined });
    expect(planFiring({ schedule: catchUp3, ...start })).toEqual({
      fire: [T0 + 2 * S, T0 + 3 * S, T0 + 4 * S],
      record: T0 + 4 * S,
    });
    expect(planFiring({ schedule: catchUp3, lastFiredMs: undefined, dueTickMs: undefined, nowMs: T0 }).fire).toEqual(
      [],
    );
  });
});

describe('defineFunction({ when })', () => {
  it('filters by one predicate or one per type; other types always pass', () => {
    const big = defineFunction(
      {
        name: 'big',
        handles: ['OrderPlaced', 'OrderAmended'],
        when: { OrderPlaced: (o: { qty: number }) => o.qty >= 100 },
      },
      () => 1,
    );
    expect(big.when?.({ qty: 150 }, 'OrderPlaced')).toBe(true);
    expect(big.when?.({ qty: 5 }, 'OrderPlaced')).toBe(false);
    expect(big.when?.({ qty: 5 }, 'OrderAmended')).toBe(true);
    const all = defineFunction(
      { name: 'all', handles: 'X', when: (d) => (d as { ok?: boolean }).ok === true },
      () => 1,
    );
    expect(all.when?.({ ok: true }, 'X')).toBe(true);
    expect(all.when?.({ ok: 'yes' }, 'X')).toBe(false);
  });

  it('rejects a filter without handles, on a type not handled, or not a function', () => {
    expect(fieldOf(() => defineFunction({ name: 'a', when: () => true }, () => 1))).toBe('when');
    expect(fieldOf(() => defineFunction({ name: 'a', handles: 'X', when: { Y: () => true } }, () => 1))).toBe('when.Y');
    expect(
      fieldOf(() => defineFunction({ name: 'a', handles: 'X', when: { X: 3 as unknown as () => boolean } }, () => 1)),
    ).toBe('when.X');
  });
});
