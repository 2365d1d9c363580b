import { describe, expect, it } from 'vitest';
import { createClusterView } from '../src/cluster-view.js';
import {
  nextPeriodicDue,
  ownedReminderPartitions,
  reminderPartitionOf,
  resolveReminderSchedule,
} from '../src/reminders/reminder-schedule.js';
import type { LoadReport } from '../src/scoring.js';
import { codeOf } from './error-code.js';

const NOW = 1_000_000;
const load: LoadReport = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 10, queueDepth: 0, maxQueue: 100 };
const member = (id: string) => ({ id, tags: [], load });

describe('resolveReminderSchedule', () => {
  it('resolves at, afterMs and everyMs against the wall clock', () => {
    expect(resolveReminderSchedule('a/1', 'r', { at: NOW + 5 }, NOW)).toEqual({ dueAt: NOW + 5, everyMs: 0 });
    expect(resolveReminderSchedule('a/1', 'r', { at: new Date(NOW + 7) }, NOW)).toEqual({ dueAt: NOW + 7, everyMs: 0 });
    expect(resolveReminderSchedule('a/1', 'r', { afterMs: 100 }, NOW)).toEqual({ dueAt: NOW + 100, everyMs: 0 });
    expect(resolveReminderSchedule('a/1', 'r', { everyMs: 50 }, NOW)).toEqual({ dueAt: NOW + 50, everyMs: 50 });
    expect(resolveReminderSchedule('a/1', 'r', { everyMs: 50, firstAt: NOW }, NOW)).toEqual({
      dueAt: NOW,
      everyMs: 50,
    });
  });

  it('refuses bad names and schedules with InvalidReminderError', () => {
    const bad = [
      () => resolveReminderSchedule('a/1', '', { afterMs: 1 }, NOW),
      () => resolveReminderSchedule('a/1', 'x'.repeat(300), { afterMs: 1 }, NOW),
      () => resolveReminderSchedule('a/1', 'r', {} as never, NOW),
      () => resolveReminderSchedule('a/1', 'r', { at: NOW, afterMs: 1 } as never, NOW),
      () => resolveReminderSchedule('a/1', 'r', { afterMs: -1 }, NOW),
      () => resolveReminderSchedule('a/1', 'r', { at: Number.NaN }, NOW),
      () => resolveReminderSchedule('a/1', 'r', { everyMs: 1 }, NOW),
      () => resolveReminderSchedule('a/1', 'r', null as never, NOW),
    ];
    for (const fn of bad) expect(codeOf(fn)).toBe('LUCENT_INVALID_REMINDER');
  });
});

describe('nextPeriodicDue', () => {
  it('is one period on when on time, and skips missed periods when late', () => {
    expect(nextPeriodicDue(100, 10, 100)).toBe(110);
    expect(nextPeriodicDue(100, 10, 105)).toBe(110);
    expect(nextPeriodicDue(100, 10, 110)).toBe(120);
    expect(nextPeriodicDue(100, 10, 137)).toBe(140);
  });
});

describe('reminder partitions', () => {
  it('every partition has exactly one owner among the members; without a view a node owns all', () => {
    const view = createClusterView(['n1', 'n2', 'n3'].map(member));
    const owned = ['n1', 'n2', 'n3'].map((id) => ownedReminderPartitions(view, id, 64));
    expect(owned.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    for (const list of owned) expect(list.length).toBeGreaterThan(0);
    expect(ownedReminderPartitions(undefined, 'n1', 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(ownedReminderPartitions(view, 'stranger', 8)).toEqual([]);
  });

  it('when a member leaves, the survivors take over its partitions and keep their own', () => {
    const before = createClusterView(['n1', 'n2', 'n3'].map(member));
    const after = createClusterView(['n1', 'n2'].map(member));
    for (const id of ['n1', 'n2']) {
      const kept = ownedReminderPartitions(before, id, 64);
      const now = ownedReminderPartitions(after, id, 64);
      for (const p of kept) expect(now).toContain(p);
    }
    const all = [...ownedReminderPartitions(after, 'n1', 64), ...ownedReminderPartitions(after, 'n2', 64)];
    expect(all.length).toBe(64);
  });

  it('a partition is a stable function of the actor key', () => {
    expect(reminderPartitionOf('order/1', 64)).toBe(reminderPartitionOf('order/1', 64));
    const seen = new Set(Array.from({ length: 1000 }, (_, i) => reminderPartitionOf(`order/${i}`, 64)));
    expect(seen.size).toBe(64);
  });
});
