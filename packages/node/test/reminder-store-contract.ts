/**
 * What every `ReminderStore` must do, run against the in-memory twin (reminders-memory-store.test.ts) and the
 * JetStream KV store (integration/reminders-kv-store.test.ts): watches scan then follow, ack and reschedule are
 * conditional on the revision, and a cancel reaches the partition's watcher.
 */
import { expect } from 'vitest';
import type { ReminderRecord, ReminderStore, StoredReminder } from '../src/reminders/reminder-store.js';

/** A watch that records what it hears. */
export function recordingWatch(store: ReminderStore, partition: number) {
  const puts: StoredReminder[] = [];
  const removed: string[] = [];
  let ready = false;
  const watch = store.watch(partition, {
    put: (r) => puts.push(r),
    removed: (key) => removed.push(key),
    ready: () => {
      ready = true;
    },
    failed: (error) => {
      throw error;
    },
  });
  return { puts, removed, isReady: () => ready, stop: () => watch.stop() };
}

/** Polls `condition` (the stores report asynchronously), failing after `timeoutMs` of real time. */
export async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const record = (actorId: string, name: string, dueAt: number): ReminderRecord => ({
  actorType: 'order',
  actorId,
  name,
  dueAt,
  everyMs: 0,
  event: { type: 'expire' },
});

/** The contract; `store` must be empty. */
export async function reminderStoreContract(store: ReminderStore): Promise<void> {
  // Two reminders of one actor land in one partition.
  await store.put(record('o-1', 'a', 1_000));
  await store.put(record('o-1', 'b', 2_000));
  let partition = -1;
  for (let p = 0; p < store.partitions && partition < 0; p++) {
    const probe = recordingWatch(store, p);
    await eventually(probe.isReady);
    if (probe.puts.length > 0) partition = p;
    probe.stop();
  }
  expect(partition).toBeGreaterThanOrEqual(0);
  const watch = recordingWatch(store, partition);
  await eventually(watch.isReady);
  expect(watch.puts.map((r) => [r.name, r.dueAt, r.partition]).sort()).toEqual([
    ['a', 1_000, partition],
    ['b', 2_000, partition],
  ]);
  const a = watch.puts.find((r) => r.name === 'a') as StoredReminder;
  const b = watch.puts.find((r) => r.name === 'b') as StoredReminder;
  expect(a.event).toEqual({ type: 'expire' });

  // Set again: a new revision reaches the watch; the old revision can no longer be acked or rescheduled.
  await store.put(record('o-1', 'a', 3_000));
  await eventually(() => watch.puts.length === 3);
  const a2 = watch.puts[2] as StoredReminder;
  expect([a2.name, a2.dueAt]).toEqual(['a', 3_000]);
  expect(a2.revision).not.toBe(a.revision);
  expect(await store.ack(a)).toBe(false);
  expect(await store.reschedule(a, 9_000)).toBe(false);

  // Reschedule at the live revision moves it; ack at the live revision removes it.
  expect(await store.reschedule(a2, 4_000)).toBe(true);
  await eventually(() => watch.puts.length === 4);
  const a3 = watch.puts[3] as StoredReminder;
  expect(a3.dueAt).toBe(4_000);
  expect(await store.ack(a3)).toBe(true);

  // A cancel reaches the watcher.
  await store.remove('order', 'o-1', 'b');
  await eventually(() => watch.removed.includes(b.key));
  watch.stop();

  // A new scan finds nothing live.
  const after = recordingWatch(store, partition);
  await eventually(after.isReady);
  expect(after.puts).toEqual([]);
  after.stop();

  // purgeBelow drops the records of that partition written before a revision, and nothing else.
  await store.put(record('o-1', 'c', 5_000));
  await store.put(record('o-1', 'd', 6_000));
  await store.put(record('o-1', 'e', 7_000));
  const other = await recordsOf(store, (partition + 1) % store.partitions);
  const three = await recordsOf(store, partition);
  expect(three.map((r) => r.name)).toEqual(['c', 'd', 'e']);
  const e = three[2] as StoredReminder;
  await store.purgeBelow(partition, e.revision);
  await store.purgeBelow(partition, e.revision); // idempotent
  expect((await recordsOf(store, partition)).map((r) => r.name)).toEqual(['e']);
  expect(await recordsOf(store, (partition + 1) % store.partitions)).toEqual(other);
  // A record written after the purge is kept (revisions grow).
  await store.put(record('o-1', 'c', 8_000));
  expect((await recordsOf(store, partition)).map((r) => [r.name, r.dueAt])).toEqual([
    ['e', 7_000],
    ['c', 8_000],
  ]);

  // An ack of a record gone already (acked, between two stored ones) answers false, not an error.
  await store.put(record('o-1', 'f', 9_000));
  const [, middle, last] = await recordsOf(store, partition);
  expect(await store.ack(middle as StoredReminder)).toBe(true);
  expect(await store.ack(middle as StoredReminder)).toBe(false);
  await store.purgeBelow(partition, (last as StoredReminder).revision + 1);
  expect(await recordsOf(store, partition)).toEqual([]);
}

/** The records a fresh watch of `partition` scans, in the order it reports them (revision order). */
async function recordsOf(store: ReminderStore, partition: number): Promise<StoredReminder[]> {
  const watch = recordingWatch(store, partition);
  await eventually(watch.isReady);
  watch.stop();
  return watch.puts;
}
