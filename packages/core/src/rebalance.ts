/**
 * Rebalancing and consolidation as one pure decision per load sample (seeds 000/002): a node that stays above
 * `shedAbove` sheds part of what it owns by lowering its ring weight one bounded step per round, and takes it
 * back step by step once it stays below `restoreBelow`; a node that stays below `consolidateBelow` for
 * `consolidateSamples` samples is a scale-in candidate.
 *
 * ```
 *  score >= 0.85 for 3 samples ─► weight × (1 − step), ≥ minWeight    (one round: ~step/N of the keys move)
 *  score <  0.6  for 3 samples ─► weight ÷ (1 − step), ≤ 1            (the keys come back the same way)
 *  score <  0.2  for 30 samples ─► scale-in candidate (until the score rises above 0.2)
 * ```
 * Why ring weight: every process (nodes and clients) already places keys by the weighted ring, and a node that
 * stops owning a key already hands its actor off with its state (final save, lease released, the new owner
 * loads it). Lowering a weight is therefore a bounded move of keys that every view agrees on, with no directory
 * of exceptions to keep consistent. The keys go to the ring's other members in proportion to their weights.
 */

/** Thresholds of {@link nextRebalance}. */
export interface RebalancePolicy {
  /** Sustained load at or above this sheds (default 0.85). */
  readonly shedAbove: number;
  /** Sustained load below this restores weight (default 0.6). */
  readonly restoreBelow: number;
  /** Sustained load below this makes a scale-in candidate (default 0.2). */
  readonly consolidateBelow: number;
  /** Consecutive samples that make a load "sustained" for shedding and restoring (default 3). */
  readonly sustainSamples: number;
  /** Consecutive samples below `consolidateBelow` before the node says it can go (default 30). */
  readonly consolidateSamples: number;
  /** Share of the weight shed per round (default 0.25): bounds the keys moved per round. */
  readonly step: number;
  /** Lowest weight shedding reaches (default 0.25): a node always keeps a share. */
  readonly minWeight: number;
}

export const DEFAULT_REBALANCE_POLICY: RebalancePolicy = Object.freeze({
  shedAbove: 0.85,
  restoreBelow: 0.6,
  consolidateBelow: 0.2,
  sustainSamples: 3,
  consolidateSamples: 30,
  step: 0.25,
  minWeight: 0.25,
});

/** What the decision remembers between samples. */
export interface RebalanceState {
  /** The node's ring weight (1 = its full share). */
  readonly weight: number;
  /** Consecutive samples at or above `shedAbove`. */
  readonly high: number;
  /** Consecutive samples below `restoreBelow`. */
  readonly low: number;
  /** Consecutive samples below `consolidateBelow`. */
  readonly idle: number;
}

/** A node's state before its first sample. */
export const INITIAL_REBALANCE_STATE: RebalanceState = Object.freeze({ weight: 1, high: 0, low: 0, idle: 0 });

/** The next state and what it means for the node. */
export interface RebalanceStep {
  readonly state: RebalanceState;
  /** `shed`: the weight went down; `restore`: up; `hold`: unchanged. */
  readonly action: 'shed' | 'restore' | 'hold';
  readonly scaleInCandidate: boolean;
}

/** The decision for one load sample `score` (0..1); see the module doc. Pure. */
export function nextRebalance(
  state: RebalanceState,
  score: number,
  policy: RebalancePolicy = DEFAULT_REBALANCE_POLICY,
): RebalanceStep {
  let { weight } = state;
  let high = score >= policy.shedAbove ? state.high + 1 : 0;
  let low = score < policy.restoreBelow ? state.low + 1 : 0;
  const idle = score < policy.consolidateBelow ? state.idle + 1 : 0;
  let action: RebalanceStep['action'] = 'hold';
  if (high >= policy.sustainSamples) {
    high = 0; // a round: the next step waits for another sustained window, the moves of this one done
    const shed = Math.max(policy.minWeight, weight * (1 - policy.step));
    if (shed < weight) {
      weight = shed;
      action = 'shed';
    }
  } else if (low >= policy.sustainSamples && weight < 1) {
    low = 0;
    weight = Math.min(1, weight / (1 - policy.step));
    action = 'restore';
  }
  return {
    state: { weight, high, low, idle },
    action,
    scaleInCandidate: idle >= policy.consolidateSamples,
  };
}
