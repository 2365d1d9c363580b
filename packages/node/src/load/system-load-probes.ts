/**
 * The {@link LoadProbes} of a real process: `perf_hooks` event-loop utilization, `process.cpuUsage()`,
 * `process.memoryUsage.rss()` against the container's limit (`process.constrainedMemory()`) or the machine's
 * memory, and what the node's parts count.
 */
import { availableParallelism, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { LoadProbes, PoolProbe } from './load-sampler.js';

/** What the node's parts count, read at each sample. */
export interface NodeCounters {
  pool(): PoolProbe | undefined;
  activeActors(): number;
  answers(): { readonly succeeded: number; readonly failed: number };
  degraded(): readonly string[];
}

/** Probes of this process plus `counters`. */
export function systemLoadProbes(counters: NodeCounters): LoadProbes {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  return {
    eventLoop: () => performance.eventLoopUtilization(),
    cpuMicros: () => {
      const usage = process.cpuUsage();
      return usage.user + usage.system;
    },
    cores: availableParallelism(),
    pool: counters.pool,
    rssBytes: () => process.memoryUsage.rss(),
    // constrainedMemory() is 0 or a huge number without a limit; the machine's memory bounds it then.
    rssLimitBytes: constrained !== undefined && constrained > 0 ? Math.min(constrained, totalmem()) : totalmem(),
    activeActors: counters.activeActors,
    answers: counters.answers,
    degraded: counters.degraded,
  };
}
