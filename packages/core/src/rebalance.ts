/**
 * Rebalancing and consolidation as one pure decision per load sample (seeds 000/002): a node that stays above
 * `shedAbove` sheds part of what it owns by lowering its ring weight one bounded step per round, toward the
 * least-loaded nodes, which raise theirs one step while a peer is hot; weights come back to 1 step by step once
 * the heat is gone. A node that stays below `consolidateBelow` for `consolidateSamples` samples is a scale-in
 * candidate.
 *
 * ```
 *  own score >= 0.85 for 3 samples, a peer < 0.6  ─► weight × (1 − step), ≥ minWeight   (shed: ~step/N keys move)
 *  own score <  0.6 for 3 samples, a peer >= 0.85 hot for 3 samples, own score within absorbMargin of the
 *    coolest peer                                 ─► weight ÷ (1 − step), ≤ maxWeight   (absorb)
 *  own score <  0.6 for 3 samples, weight < 1     ─► weight ÷ (1 − step), ≤ 1           (restore)
 *  no hot peer for 3 samples, weight > 1          ─► weight × (1 − step), ≥ 1           (restore)
 *  own score <  0.2 for 30 samples                ─► scale-in candidate (until the score rises above 0.2)
 * ```
 * Why ring weight: every process (nodes and clients) already places keys by the weighted ring, and a node that
 * stops owning a key already hands its actor off with its state (final save, lease released, the new owner
 * loads it). Changing a weight is therefore a bounded move of keys that every view agrees on, with no directory
 * of exceptions to keep consistent. Keys a node sheds go to the ring's other members in proportion to their
 * weights; the least-loaded nodes raising theirs while a peer is hot is what sends most of them there (and the
 * keys an absorbing node gains come from every member in proportion, the hot one the most, since it sheds too).
 * A hot node with no cool peer holds: moving actors between equally busy nodes costs saves and loads for
 * nothing, and a node alone never moves anything. Each node changes only its own weight, by one step per
 * sustained window, so a round moves at most about `step / members` of the keys per changing node.
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
  /** Highest weight absorbing reaches (default 2): a cool node takes at most twice its share. */
  readonly maxWeight: number;
  /** A node absorbs only while its score is within this of the coolest peer's (default 0.1): the least-loaded. */
  readonly absorbMargin: number;
}

export const DEFAULT_REBALANCE_POLICY: RebalancePolicy = Object.freeze({
  shedAbove: 0.85,
  restoreBelow: 0.6,
  consolidateBelow: 0.2,
  sustainSamples: 3,
  consolidateSamples: 30,
  step: 0.25,
  minWeight: 0.25,
  maxWeight: 2,
  absorbMargin: 0.1,
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
  /** Consecutive samples with a peer at or above `shedAbove`. */
  readonly peerHot: number;
  /** Consecutive samples without one. */
  readonly peerCalm: number;
}

/** A node's state before its first sample. */
export const INITIAL_REBALANCE_STATE: RebalanceState = Object.freeze({
  weight: 1,
  high: 0,
  low: 0,
  idle: 0,
  peerHot: 0,
  peerCalm: 0,
});

/** The next state and what it means for the node. */
export interface RebalanceStep {
  readonly state: RebalanceState;
  /** `shed`: the weight went down (this node is hot); `absorb`: up past 1 (a peer is hot, this node is among the
   * coolest); `restore`: back toward 1; `hold`: unchanged. */
  readonly action: 'shed' | 'absorb' | 'restore' | 'hold';
  readonly scaleInCandidate: boolean;
}

/**
 * The decision for one load sample `score` (0..1) of this node, given the latest scores of the other members
 * (`peers`, in any order; empty for a node alone); see the module doc. Pure.
 */
export function nextRebalance(
  state: RebalanceState,
  score: number,
  peers: readonly number[],
  policy: RebalancePolicy = DEFAULT_REBALANCE_POLICY,
): RebalanceStep {
  let coolest = Number.POSITIVE_INFINITY;
  let hottest = Number.NEGATIVE_INFINITY;
  for (const peer of peers) {
    if (peer < coolest) coolest = peer;
    if (peer > hottest) hottest = peer;
  }
  const peerIsHot = hottest >= policy.shedAbove;
  let { weight } = state;
  let high = score >= policy.shedAbove ? state.high + 1 : 0;
  let low = score < policy.restoreBelow ? state.low + 1 : 0;
  let peerHot = peerIsHot ? state.peerHot + 1 : 0;
  let peerCalm = peerIsHot ? 0 : state.peerCalm + 1;
  const idle = score < policy.consolidateBelow ? state.idle + 1 : 0;
  let action: RebalanceStep['action'] = 'hold';
  if (high >= policy.sustainSamples) {
    // Only toward a node with room (a hot node alone, or among hot nodes, keeps counting and holds).
    if (coolest < policy.restoreBelow) {
      high = 0; // a round: the next step waits for another sustained window, the moves of this one done
      const shed = Math.max(policy.minWeight, weight * (1 - policy.step));
      if (shed < weight) {
        weight = shed;
        action = 'shed';
      }
    }
  } else if (low >= policy.sustainSamples) {
    if (weight < 1) {
      low = 0;
      weight = Math.min(1, weight / (1 - policy.step));
      action = 'restore';
    } else if (peerHot >= policy.sustainSamples && score <= coolest + policy.absorbMargin) {
      low = 0;
      peerHot = 0;
      const absorb = Math.min(policy.maxWeight, weight / (1 - policy.step));
      if (absorb > weight) {
        weight = absorb;
        action = 'absorb';
      }
    }
  }
  if (action === 'hold' && weight > 1 && peerCalm >= policy.sustainSamples) {
    peerCalm = 0;
    weight = Math.max(1, weight * (1 - policy.step));
    action = 'restore';
  }
  return {
    state: { weight, high, low, idle, peerHot, peerCalm },
    action,
    scaleInCandidate: idle >= policy.consolidateSamples,
  };
}
