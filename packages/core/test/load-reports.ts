import type { LoadReport } from '../src/scoring.js';

/** A load report that carries its own `score` (and, optionally, the functions degraded on the shard). */
export function scoredLoad(score: number, degraded: readonly string[] = []): LoadReport {
  return {
    cpu: 0,
    memory: 0,
    activeFunctions: 0,
    maxFunctions: 1,
    queueDepth: 0,
    maxQueue: 1,
    score,
    ...(degraded.length === 0 ? {} : { degraded }),
  };
}
