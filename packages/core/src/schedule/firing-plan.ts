/**
 * The scheduler's decision, pure: given what was fired last (from the cluster's ledger) and the tick that is due,
 * which ticks to run now and what to record as fired.
 *
 * ```
 *  ledger: last fired L      ticks:  L ... m1  m2  m3 ... due        (m = missed: nobody fired them)
 *  skip                      fire [due]                      record due
 *  catch-up max n            fire [last n of m..., due]      record due
 *  due <= L                  fire []  (already fired: another node, or a replay after failover)
 *  no ledger entry           fire [due]  (a new schedule has no past to catch up)
 *  due undefined (start-up)  fire [last n missed] with catch-up, [] with skip; record the last fired
 * ```
 * The caller records before it runs (compare-and-set on the ledger entry's revision), so a tick that two nodes
 * both think is theirs runs on the one whose write wins: at most once per tick.
 */
import type { Schedule } from './schedule-spec.js';
import { ticksBetween } from './schedule-spec.js';

/** What {@link planFiring} decides. */
export interface FiringPlan {
  /** Ticks (epoch ms) to run now, oldest first; empty when there is nothing to do. */
  readonly fire: readonly number[];
  /** The tick to record as the last fired (the newest of `fire`); `undefined` when `fire` is empty. */
  readonly record: number | undefined;
}

const NOTHING: FiringPlan = Object.freeze({ fire: Object.freeze([]), record: undefined });

/** Inputs of {@link planFiring}. */
export interface FiringInput {
  readonly schedule: Schedule;
  /** The last fired tick in the ledger, or `undefined` when the schedule never fired. */
  readonly lastFiredMs: number | undefined;
  /** The tick the node's timer was armed for, or `undefined` for the start-up check (catch-up only). */
  readonly dueTickMs: number | undefined;
  /** Wall time now: the start-up check catches up ticks before it. */
  readonly nowMs: number;
}

/** See the module doc. Never throws. */
export function planFiring(input: FiringInput): FiringPlan {
  const { schedule, lastFiredMs, dueTickMs, nowMs } = input;
  if (dueTickMs !== undefined && lastFiredMs !== undefined && dueTickMs <= lastFiredMs) return NOTHING;
  const catchUp = schedule.missed.type === 'catch-up' ? schedule.missed.max : 0;
  const missed =
    lastFiredMs === undefined || catchUp === 0
      ? []
      : ticksBetween(schedule, lastFiredMs, dueTickMs ?? nowMs + 1, catchUp);
  const fire = dueTickMs === undefined ? missed : [...missed, dueTickMs];
  if (fire.length === 0) return NOTHING;
  return { fire, record: fire[fire.length - 1] };
}
