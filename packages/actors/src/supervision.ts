/**
 * Supervision decisions as a pure function: (error, restart history, options, now, random) → what to do and
 * when. The actor cell only carries the verdict out, so every rule here is unit-tested on exact numbers.
 */
import { ConfigError } from '@lucent/core/internal';
import { type BackoffOptions, backoffDelayMs, NO_BACKOFF, validateBackoff } from './backoff.js';
import type { Directive, SupervisionOptions } from './types.js';

/** Restarts allowed within {@link DEFAULT_RESTART_WINDOW_MS} when `maxRestarts` is not set. */
export const DEFAULT_MAX_RESTARTS = 10;
/** The restart budget's window when `windowMs` is not set. */
export const DEFAULT_RESTART_WINDOW_MS = 60_000;

/** {@link SupervisionOptions} with every default filled in. */
export interface ResolvedSupervision {
  readonly decide: (error: unknown) => Directive;
  readonly backoff: BackoffOptions;
  readonly maxRestarts: number;
  readonly windowMs: number;
}

const alwaysRestart = (): Directive => 'restart';

/** Defaults: restart on every error, at once (no backoff), at most 10 restarts per minute. */
export const DEFAULT_SUPERVISION: ResolvedSupervision = {
  decide: alwaysRestart,
  backoff: NO_BACKOFF,
  maxRestarts: DEFAULT_MAX_RESTARTS,
  windowMs: DEFAULT_RESTART_WINDOW_MS,
};

/**
 * Fills in defaults and validates. Throws `ConfigError` (naming `subject`) for a negative or fractional
 * `maxRestarts`, a non-positive `windowMs`, or invalid backoff bounds. Returns the shared defaults object
 * when `options` is undefined, and the same object for the same `options` object (read once: mutating it later has
 * no effect), so actors spawned with shared options allocate nothing.
 */
export function resolveSupervision(options: SupervisionOptions | undefined, subject: string): ResolvedSupervision {
  if (options === undefined) return DEFAULT_SUPERVISION;
  // One resolved object per options object: actors spawned with shared options (e.g. every function actor) share it.
  const cached = resolvedByOptions.get(options);
  if (cached !== undefined) return cached;
  const resolved = resolveFresh(options, subject);
  resolvedByOptions.set(options, resolved);
  return resolved;
}

/** Resolutions of options objects already seen (fields are readonly, so an object resolves the same every time). */
const resolvedByOptions = new WeakMap<SupervisionOptions, ResolvedSupervision>();

function resolveFresh(options: SupervisionOptions, subject: string): ResolvedSupervision {
  const maxRestarts = options.maxRestarts ?? DEFAULT_MAX_RESTARTS;
  const windowMs = options.windowMs ?? DEFAULT_RESTART_WINDOW_MS;
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0) {
    throw new ConfigError({ subject, field: 'supervision.maxRestarts', reason: 'must be an integer >= 0' });
  }
  if (!(windowMs > 0)) {
    throw new ConfigError({ subject, field: 'supervision.windowMs', reason: 'must be > 0' });
  }
  return {
    decide: options.decide ?? alwaysRestart,
    backoff: options.backoff === undefined ? NO_BACKOFF : validateBackoff(options.backoff, subject),
    maxRestarts,
    windowMs,
  };
}

/** What the supervisor knows when an actor fails. */
export interface FailureFacts {
  readonly error: unknown;
  /** Times (clock ms, ascending) of the restarts already granted; older entries may be outside the window. */
  readonly restarts: readonly number[];
  readonly now: number;
  /** A number in [0, 1) for the backoff jitter. */
  readonly random: number;
}

/** What to do with a failed actor. */
export type SupervisionVerdict =
  | { readonly directive: 'resume' }
  /** Restart after `delayMs`; `restarts` is the history to keep (the window's restarts plus this one). */
  | { readonly directive: 'restart'; readonly delayMs: number; readonly restarts: readonly number[] }
  /** Stop for good; `budgetExhausted` when `decide` said restart but the budget was spent. */
  | { readonly directive: 'stop'; readonly budgetExhausted: boolean }
  | { readonly directive: 'escalate' };

const RESUME: SupervisionVerdict = { directive: 'resume' };
const STOP: SupervisionVerdict = { directive: 'stop', budgetExhausted: false };
const STOP_EXHAUSTED: SupervisionVerdict = { directive: 'stop', budgetExhausted: true };
const ESCALATE: SupervisionVerdict = { directive: 'escalate' };

/**
 * Decides what happens to an actor whose behavior failed with `facts.error`.
 *
 * - `decide(error)` picks the directive; if `decide` itself throws, the actor stops (a broken supervisor must
 *   not crash the process or loop).
 * - A restart is granted while fewer than `maxRestarts` restarts happened in `(now - windowMs, now]`; the
 *   delay is the backoff for that count (0 → `minMs`, then doubling up to `maxMs`, plus jitter). So a quiet
 *   window resets both the budget and the backoff.
 * - Past the budget the verdict is stop with `budgetExhausted: true`.
 */
export function superviseFailure(options: ResolvedSupervision, facts: FailureFacts): SupervisionVerdict {
  let directive: Directive;
  try {
    directive = options.decide(facts.error);
  } catch {
    return STOP;
  }
  switch (directive) {
    case 'resume':
      return RESUME;
    case 'stop':
      return STOP;
    case 'escalate':
      return ESCALATE;
    case 'restart':
      break;
    default:
      return STOP;
  }
  const windowStart = facts.now - options.windowMs;
  const inWindow = facts.restarts.filter((at) => at > windowStart);
  if (inWindow.length >= options.maxRestarts) return STOP_EXHAUSTED;
  const delayMs = backoffDelayMs(inWindow.length, options.backoff, facts.random);
  inWindow.push(facts.now);
  return { directive: 'restart', delayMs, restarts: inWindow };
}
