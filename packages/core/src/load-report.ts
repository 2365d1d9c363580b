/**
 * The load report every node publishes on `lucent.<cluster>.metrics.<id>` (see `@lucent/node`'s
 * `load/load-reporter.ts`), and the pure score routing reads from it.
 *
 * ```
 *  busy     = max(event-loop utilization, process CPU, pool utilization)       how much of the node works
 *  backlog  = (pool queue depth / calls answered per second) / 1 s              time to drain the queue, 1 = ≥ 1 s
 *  memory   = RSS / RSS limit
 *  score    = max(0.8 · busy + 0.2 · queue, memory)                            0 idle … 1 saturated
 * ```
 * Why this shape: a node whose threads are all busy but keeps up scores 0.8, so `leastLoaded` avoids it but it
 * is not refused; only a busy node whose queue would take half a second or more to drain, or one near its memory
 * limit, reaches the overload threshold (0.9, `scoring.ts`). The backlog is a drain time (Little's law), not a
 * count: a batching pool at 1000 calls in flight holds hundreds of queued calls and drains them in milliseconds,
 * which is throughput, not overload. A weighted sum of every term could never reach 0.9 without memory pressure,
 * which is why the terms are combined by `max`.
 *
 * A pool that holds tasks but has not finished any yet (`poolStalledMs`, measured by the node's load sampler) is
 * starting its workers (tasks wait for a worker that is still loading) or running long first tasks. For the
 * first {@link WORKER_START_GRACE_MS} it is taken to be starting, and its
 * utilization does not count as busy: a starting worker is not saturation, and with the backlog term (nothing
 * answered yet) it would score 1.0 and refuse work it is about to serve. Past the grace its threads count again;
 * CPU-bound long tasks show in the CPU term all along.
 */
import { clampUnit, type LoadReport } from './scoring.js';

/** Queued pool calls per thread that the compact report (`maxQueue`) counts as a full queue. */
export const QUEUED_PER_THREAD = 8;

/** Drain time of the pool's queue at which the backlog term is full. */
export const BACKLOG_FULL_MS = 1000;

/** What one node reports about itself every interval. Plain, msgpack-safe data. */
export interface NodeLoadReport {
  readonly node: string;
  /** Wall-clock ms when it was measured. */
  readonly at: number;
  /** Main-thread event-loop utilization over the last interval (0..1). */
  readonly eventLoopUtilization: number;
  /** Process CPU (all threads) over the last interval, as a fraction of the machine's cores (0..1). */
  readonly cpu: number;
  /** Pool threads busy now, as a fraction of the pool's threads (0..1); 0 without a pool. */
  readonly poolUtilization: number;
  /** Calls waiting in the pool's queue now. */
  readonly poolQueueDepth: number;
  /** The pool's threads; 0 without a pool. */
  readonly poolThreads: number;
  readonly rssBytes: number;
  /** The RSS the node may use (the container's limit, else the machine's memory). */
  readonly rssLimitBytes: number;
  readonly activeActors: number;
  /** Calls and asks answered per second over the last interval. */
  readonly callsPerSecond: number;
  /** Share of those answers that were errors (0..1). */
  readonly errorRate: number;
  /** {@link nodeLoadScore} of this report, as the node computed it. */
  readonly score: number;
  /** Functions whose p50 on this node runs past 1.5× its recent baseline (`degradation.ts`). */
  readonly degraded: readonly string[];
}

/** The measurements of a {@link NodeLoadReport}, before it is scored and stamped. */
export type LoadMeasurements = Omit<NodeLoadReport, 'score' | 'node' | 'at' | 'degraded'>;

/**
 * How long a pool may hold tasks without finishing any before its threads count as busy again (ms): longer than a
 * worker takes to start on a loaded machine (~65-115 ms of CPU, seconds of wall time when cores are shared).
 */
export const WORKER_START_GRACE_MS = 3000;

/**
 * The node's load in [0, 1] from its measurements (see the module doc). `poolStalledMs`: how long the pool has held
 * tasks without finishing any (0 when it finished one in the interval, or holds none). Pure; NaN counts as busy.
 */
export function nodeLoadScore(m: LoadMeasurements, poolStalledMs = 0): number {
  const starting = poolStalledMs > 0 && poolStalledMs < WORKER_START_GRACE_MS;
  const pool = starting ? 0 : clampUnit(m.poolUtilization);
  const busy = Math.max(clampUnit(m.eventLoopUtilization), clampUnit(m.cpu), pool);
  // Nothing answered while calls wait is an unbounded drain time: a full backlog.
  const drainMs = m.poolQueueDepth <= 0 ? 0 : (m.poolQueueDepth * 1000) / Math.max(m.callsPerSecond, 1e-3);
  const backlog = clampUnit(drainMs / BACKLOG_FULL_MS);
  const memory = m.rssLimitBytes > 0 ? clampUnit(m.rssBytes / m.rssLimitBytes) : 0;
  return Math.max(0.8 * busy + 0.2 * backlog, memory);
}

/**
 * The compact {@link LoadReport} that heartbeats and cluster views carry for `report`: its score (which routing
 * reads) and the pool's numbers.
 */
export function compactLoad(report: NodeLoadReport): LoadReport {
  const threads = Math.max(1, report.poolThreads);
  return {
    cpu: clampUnit(report.cpu),
    memory: report.rssLimitBytes > 0 ? clampUnit(report.rssBytes / report.rssLimitBytes) : 0,
    activeFunctions: Math.round(clampUnit(report.poolUtilization) * threads),
    maxFunctions: threads,
    queueDepth: report.poolQueueDepth,
    maxQueue: threads * QUEUED_PER_THREAD,
    score: clampUnit(report.score),
    ...(report.degraded.length === 0 ? {} : { degraded: report.degraded }),
  };
}
