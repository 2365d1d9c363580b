/**
 * The in-memory twin of the reminder store: a real implementation (partitions, revisions that grow per
 * partition, conditional ack and reschedule, purge below a revision, watches with an initial scan) held in a Map. Watch notifications are delivered in a microtask,
 * never inside the call that caused them, as a KV watch delivers them later. One store per in-memory bus and
 * cluster ({@link memoryReminderStoreFor}), so the standalone node and a client on the same bus share it.
 */
import { DEFAULT_REMINDER_PARTITIONS } from '@lucent/core/internal';
import type { InMemoryBus } from '../transport/in-memory-bus.js';
import { onePer } from '../transport/one-per-transport.js';
import { partitionOfReminderKey, reminderKey } from './reminder-keys.js';
import type {
  PartitionListener,
  PartitionWatch,
  ReminderRecord,
  ReminderStore,
  StoredReminder,
} from './reminder-store.js';

/** See the module doc. */
export class MemoryReminderStore implements ReminderStore {
  readonly partitions: number;
  readonly #records = new Map<string, StoredReminder>();
  readonly #watchers = new Set<{ partition: number; listener: PartitionListener; active: boolean }>();
  #revision = 0;

  constructor(options: { readonly partitions?: number } = {}) {
    this.partitions = options.partitions ?? DEFAULT_REMINDER_PARTITIONS;
  }

  /** Records held (for tests and the bench). */
  get size(): number {
    return this.#records.size;
  }

  /** The live records (for tests). */
  list(): StoredReminder[] {
    return [...this.#records.values()];
  }

  put(record: ReminderRecord): Promise<void> {
    const key = reminderKey(record.actorType, record.actorId, record.name, this.partitions);
    this.#write({ ...record, key, partition: partitionOfReminderKey(key), revision: ++this.#revision });
    return Promise.resolve();
  }

  remove(actorType: string, actorId: string, name: string): Promise<void> {
    const key = reminderKey(actorType, actorId, name, this.partitions);
    if (this.#records.delete(key)) this.#notify(partitionOfReminderKey(key), (l) => l.removed(key));
    return Promise.resolve();
  }

  ack(stored: StoredReminder): Promise<boolean> {
    // Like deleting a message by sequence: no notification (the owner that acks already forgot it).
    if (this.#records.get(stored.key)?.revision !== stored.revision) return Promise.resolve(false);
    this.#records.delete(stored.key);
    return Promise.resolve(true);
  }

  purgeBelow(partition: number, revision: number): Promise<void> {
    for (const [key, record] of this.#records) {
      if (record.partition === partition && record.revision < revision) this.#records.delete(key);
    }
    return Promise.resolve();
  }

  reschedule(stored: StoredReminder, dueAt: number): Promise<boolean> {
    if (this.#records.get(stored.key)?.revision !== stored.revision) return Promise.resolve(false);
    this.#write({ ...stored, dueAt, revision: ++this.#revision });
    return Promise.resolve(true);
  }

  watch(partition: number, listener: PartitionListener): PartitionWatch {
    const watcher = { partition, listener, active: true };
    this.#watchers.add(watcher);
    const snapshot = [...this.#records.values()].filter((r) => r.partition === partition);
    queueMicrotask(() => {
      for (const record of snapshot) if (watcher.active) listener.put(record);
      if (watcher.active) listener.ready();
    });
    return {
      stop: () => {
        watcher.active = false;
        this.#watchers.delete(watcher);
      },
    };
  }

  #write(stored: StoredReminder): void {
    // Deleted first so the Map's order stays revision order (a scan reports records in it).
    this.#records.delete(stored.key);
    this.#records.set(stored.key, stored);
    this.#notify(stored.partition, (l) => l.put(stored));
  }

  #notify(partition: number, tell: (listener: PartitionListener) => void): void {
    for (const watcher of this.#watchers) {
      if (watcher.partition !== partition) continue;
      queueMicrotask(() => {
        if (watcher.active) tell(watcher.listener);
      });
    }
  }
}

const stores = new WeakMap<InMemoryBus, Map<string, MemoryReminderStore>>();

/** The one reminder store of `cluster` on `bus`, created on first use. */
export function memoryReminderStoreFor(bus: InMemoryBus, cluster: string): MemoryReminderStore {
  return onePer(stores, bus, cluster, () => new MemoryReminderStore());
}
