/**
 * A function's cron schedule as declared (`defineFunction({ schedule })`) and resolved: the cron pattern is parsed
 * once by croner (5 fields, or 6 with seconds), the timezone checked, the missed-tick policy normalised. Pure: the
 * croner object built here is paused (it never starts a timer); it only computes tick times.
 */
import { Cron } from 'croner';
import { ConfigError } from '../errors.js';

/**
 * What to do with ticks that passed while no node fired them (every node down, or the owner dead before its
 * successor took over): `'skip'` them (default), or `{ catchUp: n }` to run up to the `n` most recent of them,
 * oldest first, before the current one.
 */
export type MissedTicksSpec = 'skip' | { readonly catchUp: number };

/** A schedule as written in `defineFunction({ schedule })`. */
export interface ScheduleSpec {
  /** A cron pattern: 5 fields (minute first) or 6 (seconds first), croner syntax (`'*\/5 * * * *'`). */
  readonly cron: string;
  /** IANA zone the pattern is read in (`'Europe/Berlin'`); default UTC. */
  readonly timezone?: string;
  /** The input each scheduled run gets (must cross the wire: plain data). Default `undefined`. */
  readonly input?: unknown;
  /** Default `'skip'`. `catchUp` is an integer 1-1000. */
  readonly missed?: MissedTicksSpec;
}

/** The resolved missed-tick policy. */
export type MissedTicksPolicy = { readonly type: 'skip' } | { readonly type: 'catch-up'; readonly max: number };

/** A validated, frozen schedule. */
export interface Schedule {
  readonly cron: string;
  readonly timezone: string;
  readonly input: unknown;
  readonly missed: MissedTicksPolicy;
  /** The parsed pattern (paused croner job: computes times, never runs). */
  readonly pattern: Cron;
}

const SKIP: MissedTicksPolicy = Object.freeze({ type: 'skip' });
const SCHEDULE_KEYS: ReadonlySet<string> = new Set(['cron', 'timezone', 'input', 'missed']);

/**
 * Validates `spec` into a frozen {@link Schedule}. Throws `ConfigError` (`subject`, field `schedule.cron`,
 * `schedule.timezone`, `schedule.missed` or an unknown `schedule.<key>`).
 */
export function resolveSchedule(spec: ScheduleSpec | undefined, subject: string): Schedule | undefined {
  if (spec === undefined) return undefined;
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigError({ subject, field: 'schedule', reason: 'must be an object { cron, timezone?, input? }' });
  }
  for (const key of Object.keys(spec)) {
    if (!SCHEDULE_KEYS.has(key)) throw new ConfigError({ subject, field: `schedule.${key}`, reason: 'unknown field' });
  }
  if (typeof spec.cron !== 'string' || spec.cron.trim() === '') {
    throw new ConfigError({ subject, field: 'schedule.cron', reason: 'must be a cron pattern string' });
  }
  const timezone = spec.timezone ?? 'UTC';
  if (typeof timezone !== 'string' || !isKnownTimezone(timezone)) {
    throw new ConfigError({ subject, field: 'schedule.timezone', reason: `unknown IANA time zone '${timezone}'` });
  }
  let pattern: Cron;
  try {
    pattern = new Cron(spec.cron, { paused: true, timezone });
  } catch (error) {
    throw new ConfigError({
      subject,
      field: 'schedule.cron',
      reason: error instanceof Error ? error.message : String(error),
    });
  }
  if (pattern.nextRun(new Date(0)) === null) {
    throw new ConfigError({ subject, field: 'schedule.cron', reason: 'the pattern never fires' });
  }
  return Object.freeze({
    cron: spec.cron,
    timezone,
    input: spec.input,
    missed: resolveMissed(spec.missed, subject),
    pattern,
  });
}

function resolveMissed(missed: MissedTicksSpec | undefined, subject: string): MissedTicksPolicy {
  if (missed === undefined || missed === 'skip') return SKIP;
  const max = typeof missed === 'object' && missed !== null ? missed.catchUp : undefined;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000) {
    throw new ConfigError({ subject, field: 'schedule.missed', reason: "expected 'skip' or { catchUp: 1-1000 }" });
  }
  return Object.freeze({ type: 'catch-up', max });
}

function isKnownTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The first tick strictly after wall time `afterMs` (epoch ms), or `undefined` when the pattern has no more. */
export function nextTickAfter(schedule: Schedule, afterMs: number): number | undefined {
  return schedule.pattern.nextRun(new Date(afterMs))?.getTime();
}

/**
 * Up to `max` most recent ticks `t` with `afterMs < t < beforeMs`, oldest first. Bounded work: croner walks
 * back from `beforeMs` at most `max` ticks.
 */
export function ticksBetween(schedule: Schedule, afterMs: number, beforeMs: number, max: number): number[] {
  if (max <= 0 || beforeMs <= afterMs) return [];
  // `previousRuns` counts from a reference it may include; ask for one more and filter.
  const runs = schedule.pattern.previousRuns(max + 1, new Date(beforeMs));
  const ticks: number[] = [];
  for (const run of runs) {
    const t = run.getTime();
    if (t > afterMs && t < beforeMs) ticks.push(t);
  }
  ticks.sort((a, b) => a - b);
  return ticks.length > max ? ticks.slice(ticks.length - max) : ticks;
}
