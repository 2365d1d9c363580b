/**
 * Pure rules of durable reminders, shared by the actor host, the client and the node's scheduler: what a valid
 * schedule is, when it first fires, when a periodic one fires next, and which partition (and so which node) a
 * reminder belongs to.
 *
 * ```
 *  reminder of actor type/id ─► partition = hash32(type/id) mod P ─► ring owner of 'lucent.reminders/<p>'
 *                                (stored under that partition)        (the node that scans and fires it)
 * ```
 * Partitions are fixed (P, default 16: each owned one is a KV watch, a consumer on the server) and placed on the same hash ring as actors, so when the ring changes a
 * node takes over whole partitions and scans only the partitions it owns.
 */
import type { ClusterView } from '../cluster-view.js';
import { InvalidReminderError } from '../errors.js';
import { hash32 } from '../hash.js';
import { placeKey } from '../placement/place.js';
import { PlacementType } from '../placement/placement.js';

/** When a reminder fires: once at a wall time (epoch ms), once after a delay, or every `everyMs` from now. */
export type ReminderSchedule =
  | { readonly at: number | Date }
  | { readonly afterMs: number }
  | { readonly everyMs: number; readonly firstAt?: number | Date };

/** Default number of reminder partitions. Every process of a cluster must agree (it is part of the keys). */
export const DEFAULT_REMINDER_PARTITIONS = 16;

/** Shortest period of a periodic reminder: anything shorter is a busy loop through the store. */
export const MIN_REMINDER_PERIOD_MS = 10;

/** Longest reminder name (it is part of a KV key). */
export const MAX_REMINDER_NAME_LENGTH = 256;

/** A schedule resolved against a clock: the first due time (wall ms) and the period (0 = one-shot). */
export interface ResolvedSchedule {
  readonly dueAt: number;
  readonly everyMs: number;
}

/**
 * Checks `schedule` and resolves it at wall time `nowWall`. Throws `InvalidReminderError` (naming `actor` and
 * `name`) for an empty or over-long name, a schedule with none or several of `at` / `afterMs` / `everyMs`, a
 * non-finite time, a negative delay or a period under {@link MIN_REMINDER_PERIOD_MS}. A time in the past is valid
 * (it fires at once).
 */
export function resolveReminderSchedule(
  actor: string,
  name: string,
  schedule: ReminderSchedule,
  nowWall: number,
): ResolvedSchedule {
  const invalid = (reason: string) => new InvalidReminderError({ actor, name: String(name), reason });
  if (typeof name !== 'string' || name === '' || name.length > MAX_REMINDER_NAME_LENGTH) {
    throw invalid(`the name must be a string of 1 to ${MAX_REMINDER_NAME_LENGTH} characters`);
  }
  if (schedule === null || typeof schedule !== 'object') throw invalid('the schedule must be an object');
  const s = schedule as { at?: unknown; afterMs?: unknown; everyMs?: unknown; firstAt?: unknown };
  const given = (s.at !== undefined ? 1 : 0) + (s.afterMs !== undefined ? 1 : 0) + (s.everyMs !== undefined ? 1 : 0);
  if (given !== 1) throw invalid('give exactly one of { at }, { afterMs } or { everyMs }');
  if (s.at !== undefined) return { dueAt: wallTime(s.at, 'at', invalid), everyMs: 0 };
  if (s.afterMs !== undefined) {
    if (typeof s.afterMs !== 'number' || !Number.isFinite(s.afterMs) || s.afterMs < 0) {
      throw invalid('afterMs must be a finite number >= 0');
    }
    return { dueAt: Math.round(nowWall + s.afterMs), everyMs: 0 };
  }
  const everyMs = s.everyMs;
  if (typeof everyMs !== 'number' || !Number.isFinite(everyMs) || everyMs < MIN_REMINDER_PERIOD_MS) {
    throw invalid(`everyMs must be a finite number >= ${MIN_REMINDER_PERIOD_MS}`);
  }
  const period = Math.round(everyMs);
  const dueAt = s.firstAt === undefined ? Math.round(nowWall + period) : wallTime(s.firstAt, 'firstAt', invalid);
  return { dueAt, everyMs: period };
}

function wallTime(value: unknown, field: string, invalid: (reason: string) => Error): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw invalid(`${field} must be a Date or epoch milliseconds`);
  return Math.round(ms);
}

/**
 * The next due time of a periodic reminder that was due at `dueAt` and fired at `nowWall`: the first
 * `dueAt + k·everyMs` after `nowWall` (k ≥ 1). Periods missed while nobody fired are skipped, not replayed.
 */
export function nextPeriodicDue(dueAt: number, everyMs: number, nowWall: number): number {
  if (nowWall < dueAt + everyMs) return dueAt + everyMs;
  const periods = Math.floor((nowWall - dueAt) / everyMs) + 1;
  return dueAt + periods * everyMs;
}

/** The partition of the reminders of actor `actorKey` (`type/id`), in `[0, partitions)`. */
export function reminderPartitionOf(actorKey: string, partitions: number): number {
  return hash32(actorKey) % partitions;
}

/** The ring key a partition is placed by. */
export function reminderPartitionKey(partition: number): string {
  return `lucent.reminders/${partition}`;
}

/**
 * The partitions node `nodeId` scans and fires, in ascending order: those whose ring key it owns in `view`.
 * Without a view (a standalone node, a test) a node owns them all; a view without `nodeId` gives none.
 */
export function ownedReminderPartitions(view: ClusterView | undefined, nodeId: string, partitions: number): number[] {
  const owned: number[] = [];
  for (let p = 0; p < partitions; p++) {
    if (view === undefined) {
      owned.push(p);
      continue;
    }
    const placement = placeKey(reminderPartitionKey(p), view);
    if (placement.type === PlacementType.Node && placement.node === nodeId) owned.push(p);
  }
  return owned;
}
