/**
 * Degradation (seed 002): a function whose median run time on a node climbs past 1.5× that node's recent
 * baseline for it is "degraded" there, and placement prefers other capable nodes for it (`place.ts`) until it
 * recovers. One pure step per function per load interval.
 *
 * ```
 *  interval p50 (>= minSamples calls) ─► degraded = baseline known && p50 > 1.5 × baseline && p50 > baseline + 5 ms
 *                                      └► baseline ← EWMA(p50), alpha 0.2, 0.05 while degraded (first: = p50)
 *  fewer calls than minSamples         ─► unchanged (not enough to judge), except that a degraded function
 *                                         gets another chance after `retryIntervals` such intervals (placement
 *                                         sends it little traffic while degraded, so it could never recover)
 * ```
 * The baseline follows the p50 slowly, so a lasting change becomes the new normal after some intervals (it is a
 * *recent* baseline), while a sudden slowdown on one node shows at once.
 */

/** Thresholds of {@link nextDegradation}. */
export interface DegradationPolicy {
  /** p50 over this multiple of the baseline is degraded (default 1.5). */
  readonly factor: number;
  /**
   * Least rise over the baseline that counts, in ms (default 5): the median of a fast function jitters by a few
   * ms on a busy machine (thread scheduling, GC), which is noise, not a degraded function.
   */
  readonly minIncreaseMs: number;
  /** Calls an interval needs to count (default 10). */
  readonly minSamples: number;
  /** Intervals of baseline before anything can be judged degraded (default 3). */
  readonly warmIntervals: number;
  /** Intervals without enough calls after which a degraded function is judged again (default 10). */
  readonly retryIntervals: number;
  /** Weight of a new interval in the baseline (default 0.2). */
  readonly alpha: number;
}

export const DEFAULT_DEGRADATION_POLICY: DegradationPolicy = Object.freeze({
  factor: 1.5,
  minIncreaseMs: 5,
  minSamples: 10,
  warmIntervals: 3,
  retryIntervals: 10,
  alpha: 0.2,
});

/** A function's baseline on one node. */
export interface DegradationState {
  /** Moving average of interval medians, ms; NaN before the first. */
  readonly baselineMs: number;
  /** Intervals that went into the baseline. */
  readonly intervals: number;
  readonly degraded: boolean;
  /** Consecutive intervals without enough calls while degraded. */
  readonly quiet: number;
}

export const INITIAL_DEGRADATION_STATE: DegradationState = Object.freeze({
  baselineMs: Number.NaN,
  intervals: 0,
  degraded: false,
  quiet: 0,
});

/** The state after an interval whose calls had median `p50Ms` over `samples` calls. Pure. */
export function nextDegradation(
  state: DegradationState,
  p50Ms: number,
  samples: number,
  policy: DegradationPolicy = DEFAULT_DEGRADATION_POLICY,
): DegradationState {
  if (samples < policy.minSamples || !Number.isFinite(p50Ms)) {
    if (!state.degraded) return state;
    const quiet = state.quiet + 1;
    return quiet >= policy.retryIntervals ? { ...state, degraded: false, quiet: 0 } : { ...state, quiet };
  }
  const warm = state.intervals >= policy.warmIntervals;
  const degraded = warm && p50Ms > policy.factor * state.baselineMs && p50Ms - state.baselineMs > policy.minIncreaseMs;
  // While degraded the baseline moves at a quarter of the pace: long enough for placement to act on it, while a
  // lasting change still becomes the new normal (and clears the flag) in time.
  const alpha = degraded ? policy.alpha / 4 : policy.alpha;
  const baselineMs = state.intervals === 0 ? p50Ms : state.baselineMs + alpha * (p50Ms - state.baselineMs);
  return { baselineMs, intervals: state.intervals + 1, degraded, quiet: 0 };
}
