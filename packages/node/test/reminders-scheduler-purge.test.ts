/**
 * How fired one-shot reminders leave the store: in runs, by a purge below the partition's purge point, never
 * taking a reminder that has not fired (one held in memory, one paged out beyond the window, one being retried),
 * and one by one when a pending reminder holds the point back. Simulated clock, the in-memory store wrapped to
 * count (and fail) its operations.
 */
import { flushMicrotasks } from '@lucent/actors/internal';
import { SimulatedClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { MemoryReminderStore } from '../src/reminders/memory-reminder-store.js';
import { partitionOfReminderKey, reminderKey } from '../src/reminders/reminder-keys.js';
import { ReminderScheduler, type ReminderSchedulerOptions } from '../src/reminders/reminder-scheduler.js';
import type {
  PartitionListener,
  ReminderRecord,
  ReminderStore,
  StoredReminder,
} from '../src/reminders/reminder-store.js';

/** The in-memory store, counting acks and purges; `failPurges` makes purges reject (a node about to die). */
class CountingStore implements ReminderStore {
  readonly inner: MemoryReminderStore;
  acks = 0;
  purges = 0;
  failPurges = false;

  constructor(partitions: number) {
    this.inner = new MemoryReminderStore({ partitions });
  }
  get partitions(): number {
    return this.inner.partitions;
  }
  put(record: ReminderRecord) {
    return this.inner.put(record);
  }
  remove(actorType: string, actorId: string, name: string) {
    return this.inner.remove(actorType, actorId, name);
  }
  ack(stored: StoredReminder) {
    this.acks++;
    return this.inner.ack(stored);
  }
  purgeBelow(partition: number, revision: number) {
    this.purges++;
    if (this.failPurges) return Promise.reject(new Error('connection lost'));
    return this.inner.purgeBelow(partition, revision);
  }
  reschedule(stored: StoredReminder, dueAt: number) {
    return this.inner.reschedule(stored, dueAt);
  }
  watch(partition: number, listener: PartitionListener) {
    return this.inner.watch(partition, listener);
  }
}

function setup(options: Partial<ReminderSchedulerOptions> & { failFirst?: number } = {}) {
  const clock = new SimulatedClock();
  const store = new CountingStore(2);
  const delivered: { id: string; messageId: string }[] = [];
  let failuresLeft = options.failFirst ?? 0;
  const start = (deliver?: ReminderSchedulerOptions['deliver']) => {
    const scheduler = new ReminderScheduler({
      store,
      clock,
      deliver:
        deliver ??
        ((reminder, _event, messageId) => {
          if (failuresLeft > 0 && failuresLeft--) return Promise.reject(new Error('actor unreachable'));
          delivered.push({ id: reminder.actorId, messageId });
          return Promise.resolve();
        }),
      retryMinMs: 100,
      ...options,
    });
    scheduler.setOwned([0, 1]);
    return scheduler;
  };
  const put = (id: string, dueInMs: number) =>
    store.put({
      actorType: 'order',
      actorId: id,
      name: 'r',
      dueAt: clock.wallNow() + dueInMs,
      everyMs: 0,
      event: { type: 'x' },
    });
  const advance = async (ms: number, stepMs = 10) => {
    await flushMicrotasks();
    for (let t = 0; t < ms; t += stepMs) {
      clock.advance(Math.min(stepMs, ms - t));
      await flushMicrotasks();
    }
  };
  const storedIds = () => store.inner.list().map((r) => r.actorId);
  return { clock, store, delivered, start, put, advance, storedIds };
}

describe('ReminderScheduler purges fired reminders', () => {
  it('removes 500 fired one-shots with a few purges and no delete each', async () => {
    const { store, delivered, start, put, advance } = setup();
    for (let i = 0; i < 500; i++) await put(`o-${i}`, 10 + (i % 50));
    const scheduler = start();
    await advance(300);
    expect(delivered).toHaveLength(500);
    expect(store.inner.size).toBe(0);
    expect(store.acks).toBe(0);
    expect(store.purges).toBeGreaterThan(0);
    expect(store.purges).toBeLessThanOrEqual(8);
    expect(scheduler.stats.unpurged).toBe(0);
    scheduler.stop();
  });

  it('never purges a pending reminder stored before fired ones: paged out, or held in memory', async () => {
    const { delivered, start, put, advance, storedIds } = setup({ windowCapacity: 4, maxUnpurgedMs: 60_000 });
    // Written first (lowest revisions), due last: the window (4) pages them out behind the 40 due soon, which
    // fire over 800 ms, so purges run while only later revisions are held in memory.
    for (let i = 0; i < 20; i++) await put(`late-${i}`, 5_000 + i);
    for (let i = 0; i < 40; i++) await put(`soon-${i}`, 100 + i * 20);
    const scheduler = start();
    await advance(1_000);
    expect(delivered.map((d) => d.id).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `soon-${i}`).sort());
    // The fired ones wait behind the pending ones (revisions above theirs); every pending one is still stored.
    expect(storedIds().filter((id) => id.startsWith('late-'))).toHaveLength(20);
    await advance(5_000);
    expect(delivered.filter((d) => d.id.startsWith('late-'))).toHaveLength(20);
    await advance(200);
    expect(storedIds()).toEqual([]);
    expect(new Set(delivered.map((d) => d.messageId)).size).toBe(delivered.length);
    scheduler.stop();
  });

  it('a pending reminder that holds the purge point back: the fired ones behind it are acked one by one', async () => {
    const { store, delivered, start, put, advance, storedIds } = setup({ maxUnpurgedMs: 500 });
    await put('far', 3_600_000);
    for (let i = 0; i < 20; i++) await put(`soon-${i}`, 50);
    const partitionOf = (id: string) => partitionOfReminderKey(reminderKey('order', id, 'r', 2));
    const behindFar = Array.from({ length: 20 }, (_, i) => `soon-${i}`).filter(
      (id) => partitionOf(id) === partitionOf('far'),
    );
    expect(behindFar.length).toBeGreaterThan(0);
    const scheduler = start();
    await advance(200);
    expect(delivered).toHaveLength(20);
    // The other partition's fired ones are purged; those behind 'far' wait.
    expect(store.acks).toBe(0);
    expect(storedIds().sort()).toEqual(['far', ...behindFar].sort());
    await advance(600);
    expect(store.acks).toBe(behindFar.length);
    expect(storedIds()).toEqual(['far']);
    expect(scheduler.stats.unpurged).toBe(0);
    scheduler.stop();
  });

  it('a reminder being retried stays stored while later ones are purged around it', async () => {
    const { delivered, start, put, advance, storedIds } = setup({ failFirst: 1, maxInFlight: 1 });
    await put('first', 10); // fails once, retried 100 ms later
    for (let i = 0; i < 10; i++) await put(`next-${i}`, 20);
    const scheduler = start();
    await advance(60);
    expect(delivered.map((d) => d.id)).not.toContain('first');
    expect(storedIds()).toContain('first');
    await advance(300);
    expect(delivered.map((d) => d.id)).toContain('first');
    expect(delivered).toHaveLength(11);
    expect(storedIds()).toEqual([]);
    scheduler.stop();
  });

  it('a node that dies before its purge leaves the fired ones to the next owner: delivered again, same ids', async () => {
    const { store, delivered, start, put, advance, storedIds } = setup();
    for (let i = 0; i < 10; i++) await put(`o-${i}`, 10);
    store.failPurges = true;
    const dying = start();
    await advance(150);
    dying.stop();
    expect(delivered).toHaveLength(10);
    expect(storedIds()).toHaveLength(10);
    store.failPurges = false;
    const next = start();
    await advance(150);
    expect(delivered).toHaveLength(20);
    const first = delivered.slice(0, 10).map((d) => d.messageId);
    expect(
      delivered
        .slice(10)
        .map((d) => d.messageId)
        .sort(),
    ).toEqual(first.sort());
    expect(storedIds()).toEqual([]);
    next.stop();
  });

  it('a rescan does not deliver again the fired ones still waiting for a purge', async () => {
    const { delivered, start, put, advance } = setup({
      windowCapacity: 8,
      maxInFlight: 4,
      purgeIntervalMs: 60_000,
      maxUnpurgedMs: 60_000,
    });
    for (let i = 0; i < 100; i++) await put(`o-${i}`, 10 + i * 10);
    const scheduler = start();
    await advance(1_500);
    expect(scheduler.stats.rescans).toBeGreaterThan(0);
    expect(delivered).toHaveLength(100);
    expect(new Set(delivered.map((d) => d.id)).size).toBe(100);
    scheduler.stop();
  });
});
