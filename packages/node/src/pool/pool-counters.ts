/** The cumulative part of `FunctionPoolStats` (gauges left out), and adding two pools' worth of it. */
import type { FunctionPoolStats } from './function-pool.js';

export type PoolCounters = Omit<FunctionPoolStats, 'queueDepth' | 'tasksInFlight' | 'utilization'>;

/** `a + b`, counter by counter: pools past and present (restarts), or side by side (memory classes). */
export function addPoolCounters(a: PoolCounters, b: PoolCounters): PoolCounters {
  return {
    calls: a.calls + b.calls,
    batches: a.batches + b.batches,
    reruns: a.reruns + b.reruns,
    retries: a.retries + b.retries,
    crashes: a.crashes + b.crashes,
    timeouts: a.timeouts + b.timeouts,
    overloaded: a.overloaded + b.overloaded,
    inlineCalls: a.inlineCalls + b.inlineCalls,
  };
}

/** Every counter at zero. */
export const NO_COUNTERS: PoolCounters = Object.freeze({
  calls: 0,
  batches: 0,
  reruns: 0,
  retries: 0,
  crashes: 0,
  timeouts: 0,
  overloaded: 0,
  inlineCalls: 0,
});
