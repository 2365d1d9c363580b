/**
 * The reminder store port: where durable reminders (and delayed messages, `client.tellAt`) live between being
 * set and being fired. Two implementations: {@link KvReminderStore} (a JetStream KV bucket per cluster) and
 * {@link MemoryReminderStore} (the in-memory twin for the standalone node and tests).
 *
 * ```
 *  set ──► put(record)            key = <partition>.<type/id>.<name>   (a set replaces; latest wins)
 *  cancel ──► remove(type,id,name)
 *  owner of partition p ──► watch(p): every stored record of p, then ready, then changes as they happen
 *  fired one-shots ──► purgeBelow(p, revision)  one operation for a run of them: every record of p stored
 *                                               before that revision (the owner knows they all fired or were
 *                                               replaced; see `FiredLedger`)
 *  fired, but not below the purge point ──► ack(stored)   removes exactly that revision (a set again survives)
 *  periodic ──► reschedule(stored, nextDueAt)   only if still at that revision
 * ```
 * Revisions grow within a partition: a record written later has a higher revision than any earlier record of
 * the same partition, and a watch reports a partition's records in revision order.
 */
import type { EventObject } from 'xstate';

/** A reminder as stored. */
export interface ReminderRecord {
  readonly actorType: string;
  readonly actorId: string;
  readonly name: string;
  /** When it is due (epoch ms). */
  readonly dueAt: number;
  /** Period in ms; 0 for a one-shot reminder. */
  readonly everyMs: number;
  /** The event to deliver (the actor receives it with `reminder: { name, scheduledAt }` added). */
  readonly event: EventObject;
}

/** A record read back from the store, with where it lives. */
export interface StoredReminder extends ReminderRecord {
  /** The store key (`<partition>.<escaped type/id>.<escaped name>`); unique per actor and name. */
  readonly key: string;
  readonly partition: number;
  /** Changes on every write of the key; `ack` and `reschedule` are conditional on it. */
  readonly revision: number;
}

/** What a partition watch reports, in store order. */
export interface PartitionListener {
  /** A live record: from the initial scan or a later write. */
  put(reminder: StoredReminder): void;
  /** The record of `key` was cancelled (after the scan: the owner must forget it). */
  removed(key: string): void;
  /** The initial scan is done: every record live when the watch began has been `put`. Called once. */
  ready(): void;
  /** The watch broke (connection lost for good, stream deleted); the owner should watch again. */
  failed(error: unknown): void;
}

/** A running watch; `stop()` is idempotent. */
export interface PartitionWatch {
  stop(): void;
}

/** See the module doc. Every method but `watch` may reject with `TimeoutError` / `NodeUnavailableError`. */
export interface ReminderStore {
  /** The number of partitions keys are spread over (fixed per cluster). */
  readonly partitions: number;
  /** Stores `record`, replacing the reminder of the same actor and name. */
  put(record: ReminderRecord): Promise<void>;
  /** Cancels the reminder of `type/id` named `name`; idempotent. */
  remove(actorType: string, actorId: string, name: string): Promise<void>;
  /** Removes `stored` if it is still at its revision; resolves false when it was replaced or removed meanwhile. */
  ack(stored: StoredReminder): Promise<boolean>;
  /**
   * Removes every record of `partition` whose revision is below `revision` (those written before it): the
   * caller must know that each of them fired or was replaced. Idempotent; watches are not told.
   */
  purgeBelow(partition: number, revision: number): Promise<void>;
  /** Moves periodic `stored` to `dueAt` if still at its revision; false when it was replaced or removed. */
  reschedule(stored: StoredReminder, dueAt: number): Promise<boolean>;
  /** Watches partition `partition` (see {@link PartitionListener}). */
  watch(partition: number, listener: PartitionListener): PartitionWatch;
}
