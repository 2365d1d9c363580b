/**
 * Pure naming of stored reminders: `<partition>.<type/id>.<name>` with each part escaped as one KV key token
 * (`kv-keys.ts`), so a partition is the subject filter `<partition>.>` and a key names one reminder of one actor.
 */
import { actorKey, reminderPartitionOf } from '@lucent/core/internal';
import { encodeKvKey } from '../state/kv-keys.js';

/** The store key of reminder `name` of actor `type/id` among `partitions` partitions. */
export function reminderKey(actorType: string, actorId: string, name: string, partitions: number): string {
  const key = actorKey(actorType, actorId);
  return `${reminderPartitionOf(key, partitions)}.${encodeKvKey(key)}.${encodeKvKey(name)}`;
}

/** The partition of a store key (its first token); -1 when the key has none. */
export function partitionOfReminderKey(key: string): number {
  const dot = key.indexOf('.');
  const partition = dot <= 0 ? Number.NaN : Number(key.slice(0, dot));
  return Number.isInteger(partition) ? partition : -1;
}
