import { flushMicrotasks } from '@lucent/actors/internal';
import { SimulatedClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { MemoryReminderStore } from '../src/reminders/memory-reminder-store.js';
import { partitionOfReminderKey, reminderKey } from '../src/reminders/reminder-keys.js';
import { ReminderScheduler, type ReminderSchedulerOptions } from '../src/reminders/reminder-scheduler.js';
import type { StoredReminder } from '../src/reminders/reminder-store.js';

interface Delivery {
  readonly reminder: StoredReminder;
  readonly event: Record<string, unknown>;
  readonly messageId: string;
  readonly at: number;
}

/** A scheduler on a simulated clock and an in-memory store, recording what it delivers. */
function setup(options: Partial<ReminderSchedulerOptions> & { partitions?: number; fail?: number } = {}) {
  const clock = new SimulatedClock();
  const store = new MemoryReminderStore({ partitions: options.partitions ?? 8 });
  const delivered: Delivery[] = [];
  let failuresLeft = options.fail ?? 0;
  const scheduler = new ReminderScheduler({
    store,
    clock,
    deliver: (reminder, event, messageId) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        return Promise.reject(new Error('actor unreachable'));
      }
      delivered.push({ reminder, event: event as Record<string, unknown>, messageId, at: clock.wallNow() });
      return Promise.resolve();
    },
    retryMinMs: 100,
    ...options,
  });
  const put = (id: string, name: string, dueInMs: number, everyMs = 0) =>
    store.put({
      actorType: 'order',
      actorId: id,
      name,
      dueAt: clock.wallNow() + dueInMs,
      everyMs,
      event: { type: 'expire', id } as { type: string },
    });
  /** Moves time in steps, letting the store's notifications and the acks run between them. */
  const advance = async (ms: number, stepMs = 10) => {
    await flushMicrotasks();
    for (let t = 0; t < ms; t += stepMs) {
      clock.advance(Math.min(stepMs, ms - t));
      await flushMicrotasks();
    }
  };
  const all = () => Array.from({ length: store.partitions }, (_, p) => p);
  return { clock, store, scheduler, delivered, put, advance, all };
}

describe('ReminderScheduler', () => {
  it('fires a one-shot reminder when due, not before, with its name and scheduled time; then removes it', async () => {
    const { clock, store, scheduler, delivered, put, advance, all } = setup();
    const start = clock.wallNow();
    await put('o-1', 'expire', 1_000);
    scheduler.setOwned(all());
    await advance(990);
    expect(delivered).toEqual([]);
    await advance(20);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.event).toEqual({
      type: 'expire',
      id: 'o-1',
      reminder: { name: 'expire', scheduledAt: start + 1_000 },
    });
    expect(delivered[0]?.messageId).toMatch(/^reminder\//);
    // Removed by the next purge (every 100 ms), not one delete per fired reminder.
    await advance(100);
    expect(store.size).toBe(0);
    expect(scheduler.stats).toMatchObject({ purges: 1, acks: 0, unpurged: 0 });
    await advance(5_000);
    expect(delivered).toHaveLength(1);
    scheduler.stop();
  });

  it('keeps one timer for any number of pending reminders', async () => {
    const { clock, scheduler, put, advance, all, delivered } = setup();
    scheduler.setOwned(all());
    for (let i = 0; i < 500; i++) await put(`o-${i}`, 'r', 1_000 + i);
    await advance(10);
    expect(clock.pendingTimers).toBe(1);
    await advance(2_000);
    expect(delivered).toHaveLength(500);
    expect(clock.pendingTimers).toBe(0);
    scheduler.stop();
  });

  it('reschedules a periodic reminder every period until it is cancelled', async () => {
    const { store, scheduler, put, advance, all, delivered } = setup();
    scheduler.setOwned(all());
    await put('o-1', 'tick', 100, 100);
    await advance(350);
    expect(delivered.map((d) => (d.event.reminder as { scheduledAt: number }).scheduledAt)).toHaveLength(3);
    const [first, second] = delivered.map((d) => (d.event.reminder as { scheduledAt: number }).scheduledAt);
    expect((second as number) - (first as number)).toBe(100);
    // Each firing has its own message id (a retry of one firing would reuse it).
    expect(new Set(delivered.map((d) => d.messageId)).size).toBe(3);
    await store.remove('order', 'o-1', 'tick');
    await advance(500);
    expect(delivered).toHaveLength(3);
    expect(store.size).toBe(0);
    scheduler.stop();
  });

  it('a cancelled reminder does not fire; a reminder set again replaces the pending one', async () => {
    const { store, scheduler, put, advance, all, delivered } = setup();
    scheduler.setOwned(all());
    await put('o-1', 'a', 500);
    await put('o-2', 'b', 500);
    await advance(100);
    await store.remove('order', 'o-1', 'a');
    await put('o-2', 'b', 2_000); // moved later
    await advance(1_000);
    expect(delivered).toEqual([]);
    await advance(1_200);
    expect(delivered.map((d) => d.reminder.actorId)).toEqual(['o-2']);
    scheduler.stop();
  });

  it('retries a failed delivery with backoff and keeps the reminder stored until it is acknowledged', async () => {
    const { store, scheduler, put, advance, all, delivered } = setup({ fail: 2 });
    scheduler.setOwned(all());
    await put('o-1', 'expire', 100);
    await advance(150);
    expect(delivered).toHaveLength(0);
    expect(store.size).toBe(1);
    await advance(500);
    expect(delivered).toHaveLength(1);
    expect(scheduler.stats.failures).toBe(2);
    expect(store.size).toBe(0);
    scheduler.stop();
  });

  it('fires only the partitions it owns, and picks up a partition it comes to own', async () => {
    const { store, scheduler, put, advance, delivered } = setup({ partitions: 8 });
    for (let i = 0; i < 40; i++) await put(`o-${i}`, 'r', 100);
    const partitionOf = (id: string) => partitionOfReminderKey(reminderKey('order', id, 'r', 8));
    scheduler.setOwned([0, 1, 2, 3]);
    await advance(200);
    expect(delivered.length).toBeGreaterThan(0);
    for (const d of delivered) expect(d.reminder.partition).toBeLessThan(4);
    const mine = Array.from({ length: 40 }, (_, i) => `o-${i}`).filter((id) => partitionOf(id) < 4);
    expect(delivered.map((d) => d.reminder.actorId).sort()).toEqual(mine.sort());
    // Another node died: its partitions are ours now; their overdue reminders fire at once.
    scheduler.setOwned([0, 1, 2, 3, 4, 5, 6, 7]);
    await advance(20);
    expect(delivered).toHaveLength(40);
    await advance(100);
    expect(store.size).toBe(0);
    scheduler.stop();
  });

  it('drops the reminders of a partition it no longer owns', async () => {
    const { scheduler, put, advance, delivered } = setup({ partitions: 2 });
    scheduler.setOwned([0, 1]);
    for (let i = 0; i < 20; i++) await put(`o-${i}`, 'r', 500);
    await advance(100);
    scheduler.setOwned([0]);
    await advance(1_000);
    expect(delivered.length).toBeGreaterThan(0);
    for (const d of delivered) expect(d.reminder.partition).toBe(0);
    scheduler.stop();
  });

  it('pages: with a window of 10 it holds at most 12 in memory and fires 300 reminders in due order', async () => {
    const { scheduler, put, advance, all, delivered } = setup({ windowCapacity: 10, maxInFlight: 4 });
    // Due times shuffled, so the scan sees them out of order.
    const dues = Array.from({ length: 300 }, (_, i) => 100 + ((i * 7919) % 300) * 10);
    for (let i = 0; i < dues.length; i++) await put(`o-${i}`, 'r', dues[i] as number);
    scheduler.setOwned(all());
    let maxInWindow = 0;
    for (let t = 0; t < 3_500 && delivered.length < 300; t += 10) {
      await advance(10);
      maxInWindow = Math.max(maxInWindow, scheduler.stats.inWindow);
    }
    expect(delivered).toHaveLength(300);
    expect(maxInWindow).toBeLessThanOrEqual(12);
    expect(scheduler.stats.rescans).toBeGreaterThan(0);
    const fired = delivered.map((d) => d.reminder.dueAt);
    expect(fired).toEqual([...fired].sort((a, b) => a - b));
    // Each within its bound: never early, at most one step late.
    for (const d of delivered) {
      expect(d.at).toBeGreaterThanOrEqual(d.reminder.dueAt);
      expect(d.at - d.reminder.dueAt).toBeLessThanOrEqual(10);
    }
    scheduler.stop();
  });

  it('a delivery never acknowledged stays stored: the next owner delivers it again with the same message id', async () => {
    const clock = new SimulatedClock();
    const store = new MemoryReminderStore({ partitions: 4 });
    const ids: string[] = [];
    const hang = new ReminderScheduler({
      store,
      clock,
      deliver: (_r, _e, id) => {
        ids.push(id);
        return new Promise(() => {}); // the node dies before the actor answers
      },
    });
    await store.put({
      actorType: 'order',
      actorId: 'o-1',
      name: 'r',
      dueAt: clock.wallNow() + 100,
      everyMs: 0,
      event: { type: 'x' },
    });
    hang.setOwned([0, 1, 2, 3]);
    await flushMicrotasks();
    clock.advance(150);
    await flushMicrotasks();
    hang.stop();
    expect(store.size).toBe(1);
    const next = new ReminderScheduler({
      store,
      clock,
      deliver: (_r, _e, id) => {
        ids.push(id);
        return Promise.resolve();
      },
    });
    next.setOwned([0, 1, 2, 3]);
    await flushMicrotasks();
    clock.advance(1);
    await flushMicrotasks();
    await flushMicrotasks();
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
    clock.advance(100);
    await flushMicrotasks();
    expect(store.size).toBe(0);
    next.stop();
  });
});
