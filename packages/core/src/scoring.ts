import { NoCapacityError } from './errors.js';

/**
 * Load scoring: pure arithmetic that ranks shards and candidate functions. Every input is a number in [0, 1]
 * (values outside are clamped), every score is a weighted sum, and higher scores win. Weights are configurable;
 * the defaults are the ones in the design. A shard at or above {@link OVERLOAD_THRESHOLD} load is never chosen.
 */

/** A shard whose load is at or above this is overloaded: no strategy that chooses among shards picks it. */
export const OVERLOAD_THRESHOLD = 0.9;

/** What a shard reports about itself (on `lucent.<cluster>.metrics.<id>`). */
export interface LoadReport {
  /** CPU in use, as a fraction of the shard's cores (0..1). */
  readonly cpu: number;
  /** Memory in use, as a fraction of the shard's limit (0..1). */
  readonly memory: number;
  /** Function calls running now. */
  readonly activeFunctions: number;
  /** Calls the shard can run at once; 0 means it runs none (its function term is then full). */
  readonly maxFunctions: number;
  /** Calls waiting in the shard's queues. */
  readonly queueDepth: number;
  /** Queue length at which the shard refuses work; 0 means it queues nothing (its queue term is then full). */
  readonly maxQueue: number;
  /**
   * The shard's own load score from its full report (`nodeLoadScore` in `load-report.ts`); when present,
   * {@link shardLoad} is this score and the weighted sum of the fields above is not used.
   */
  readonly score?: number;
  /** Functions running degraded on the shard (`degradation.ts`): placement prefers other shards for them. */
  readonly degraded?: readonly string[];
}

/** Weights of {@link shardLoad}. */
export interface LoadWeights {
  readonly cpu: number;
  readonly memory: number;
  readonly functions: number;
  readonly queue: number;
}

/** Default weights: 0.3 cpu + 0.3 memory + 0.25 active/max functions + 0.15 queue/max queue. */
export const DEFAULT_LOAD_WEIGHTS: LoadWeights = Object.freeze({ cpu: 0.3, memory: 0.3, functions: 0.25, queue: 0.15 });

/** Clamps to [0, 1]; NaN counts as 1 (unknown is treated as busy, never as idle). */
export function clampUnit(value: number): number {
  return Number.isNaN(value) ? 1 : Math.min(1, Math.max(0, value));
}

/** `used / max` in [0, 1]; a zero (or negative) max means no room at all, so the ratio is 1. */
function fill(used: number, max: number): number {
  return max > 0 ? clampUnit(used / max) : 1;
}

/**
 * A shard's load in [0, 1]: `w.cpu·cpu + w.memory·memory + w.functions·active/max + w.queue·depth/maxQueue`.
 * With weights summing to 1 (the defaults do) the result is in [0, 1]. A report that carries its own `score` is
 * that score.
 */
export function shardLoad(report: LoadReport, weights: LoadWeights = DEFAULT_LOAD_WEIGHTS): number {
  if (report.score !== undefined) return clampUnit(report.score);
  return (
    weights.cpu * clampUnit(report.cpu) +
    weights.memory * clampUnit(report.memory) +
    weights.functions * fill(report.activeFunctions, report.maxFunctions) +
    weights.queue * fill(report.queueDepth, report.maxQueue)
  );
}

/** True when `load` is at or above {@link OVERLOAD_THRESHOLD}. */
export function isOverloaded(load: number): boolean {
  return !(load < OVERLOAD_THRESHOLD);
}

/** A shard that could take a call, with the inputs of {@link shardScore}. */
export interface ShardCandidate {
  readonly id: string;
  /** {@link shardLoad} of the shard (0..1). */
  readonly load: number;
  /** How well the shard suits the call (0..1): 1 when it holds the call's data or carries its tag. */
  readonly affinity: number;
  /** Free room for calls (0..1), e.g. `1 - activeFunctions / maxFunctions`. */
  readonly capacity: number;
}

/** Weights of {@link shardScore}. */
export interface ShardScoreWeights {
  readonly idle: number;
  readonly affinity: number;
  readonly capacity: number;
}

/** Default weights: 0.4 (1 - load) + 0.35 affinity + 0.25 capacity. */
export const DEFAULT_SHARD_WEIGHTS: ShardScoreWeights = Object.freeze({ idle: 0.4, affinity: 0.35, capacity: 0.25 });

/** `w.idle·(1 - load) + w.affinity·affinity + w.capacity·capacity`; higher is better. */
export function shardScore(candidate: ShardCandidate, weights: ShardScoreWeights = DEFAULT_SHARD_WEIGHTS): number {
  return (
    weights.idle * (1 - clampUnit(candidate.load)) +
    weights.affinity * clampUnit(candidate.affinity) +
    weights.capacity * clampUnit(candidate.capacity)
  );
}

/**
 * The best shard by {@link shardScore}, skipping overloaded ones. Ties go to the smallest id, so every process
 * makes the same choice from the same view.
 * @throws NoCapacityError when there is no candidate or every candidate is overloaded.
 */
export function chooseShard(
  candidates: readonly ShardCandidate[],
  weights: ShardScoreWeights = DEFAULT_SHARD_WEIGHTS,
): ShardCandidate {
  let best: ShardCandidate | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const candidate of candidates) {
    if (isOverloaded(candidate.load)) continue;
    const score = shardScore(candidate, weights);
    if (score > bestScore || (score === bestScore && best !== undefined && candidate.id < best.id)) {
      best = candidate;
      bestScore = score;
    }
  }
  if (best === undefined) {
    const reason = candidates.length === 0 ? 'no candidate shards' : `all ${candidates.length} shards are overloaded`;
    throw new NoCapacityError({ target: 'shard', reason });
  }
  return best;
}

/**
 * A candidate function: one A/B variant of a function, with the inputs of {@link functionScore}, each in [0, 1].
 */
export interface FunctionCandidate {
  /** Variant id, e.g. `price@v2`. */
  readonly name: string;
  /** A disabled variant is never chosen. */
  readonly enabled: boolean;
  /** A/B traffic weight (>= 0); 0 sends it no traffic. Only ratios between variants matter. */
  readonly weight: number;
  /** Fraction of the variant's concurrency in use (0 idle .. 1 saturated); it scores `1 - load`. */
  readonly load: number;
  /** How well its declared resources (cpu, memory) fit what the shard has free: 1 fits with room, 0 does not. */
  readonly resource: number;
  /** Its declared priority, normalised to 0..1 (1 = highest). */
  readonly priority: number;
  /** 1 when the variant is tagged for the shard or has its data warm there, 0 when nothing ties it there. */
  readonly affinity: number;
}

/** Weights of {@link functionScore}. */
export interface FunctionScoreWeights {
  readonly load: number;
  readonly resource: number;
  readonly priority: number;
  readonly affinity: number;
}

/** Default weights: 0.3 (1 - load) + 0.25 resource + 0.25 priority + 0.2 affinity. */
export const DEFAULT_FUNCTION_WEIGHTS: FunctionScoreWeights = Object.freeze({
  load: 0.3,
  resource: 0.25,
  priority: 0.25,
  affinity: 0.2,
});

/** `w.load·(1 - load) + w.resource·resource + w.priority·priority + w.affinity·affinity`; higher is better. */
export function functionScore(
  candidate: FunctionCandidate,
  weights: FunctionScoreWeights = DEFAULT_FUNCTION_WEIGHTS,
): number {
  return (
    weights.load * (1 - clampUnit(candidate.load)) +
    weights.resource * clampUnit(candidate.resource) +
    weights.priority * clampUnit(candidate.priority) +
    weights.affinity * clampUnit(candidate.affinity)
  );
}

/**
 * Chooses among the enabled variants with weight > 0 by `functionScore · weight`.
 * Without `draw` it returns the best (ties to the smallest name: deterministic). With `draw` in [0, 1) (a
 * random number, or a hash of the call id for a reproducible split) it picks proportionally to
 * `score · weight`, which is the A/B split when the variants score alike.
 * @throws NoCapacityError when no variant is enabled with a weight above 0.
 */
export function chooseFunction(
  candidates: readonly FunctionCandidate[],
  weights: FunctionScoreWeights = DEFAULT_FUNCTION_WEIGHTS,
  draw?: number,
): FunctionCandidate {
  let best: FunctionCandidate | undefined;
  let bestValue = Number.NEGATIVE_INFINITY;
  let total = 0;
  for (const candidate of candidates) {
    if (!isEligible(candidate)) continue;
    const value = functionScore(candidate, weights) * candidate.weight;
    total += value;
    if (value > bestValue || (value === bestValue && best !== undefined && candidate.name < best.name)) {
      best = candidate;
      bestValue = value;
    }
  }
  if (best === undefined) {
    const target = candidates[0]?.name ?? 'function';
    throw new NoCapacityError({ target, reason: 'no enabled variant with a weight above 0' });
  }
  if (draw === undefined || !(total > 0)) return best;
  // Walk the cumulative distribution; the last eligible variant absorbs rounding at draw ≈ 1.
  let threshold = clampUnit(draw) * total;
  let last = best;
  for (const candidate of candidates) {
    if (!isEligible(candidate)) continue;
    last = candidate;
    threshold -= functionScore(candidate, weights) * candidate.weight;
    if (threshold < 0) return candidate;
  }
  return last;
}

function isEligible(candidate: FunctionCandidate): boolean {
  return candidate.enabled && candidate.weight > 0;
}
