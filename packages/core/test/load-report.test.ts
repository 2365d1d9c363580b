/** The node load score: pure arithmetic over a load report, and its compact form for heartbeats and views. */
import { describe, expect, it } from 'vitest';
import { createClusterView } from '../src/cluster-view.js';
import {
  compactLoad,
  type LoadMeasurements,
  type NodeLoadReport,
  nodeLoadScore,
  WORKER_START_GRACE_MS,
} from '../src/load-report.js';
import { isOverloaded, shardLoad } from '../src/scoring.js';

const idle: LoadMeasurements = {
  eventLoopUtilization: 0,
  cpu: 0,
  poolUtilization: 0,
  poolQueueDepth: 0,
  poolThreads: 2,
  rssBytes: 100,
  rssLimitBytes: 1000,
  activeActors: 0,
  callsPerSecond: 0,
  errorRate: 0,
};

describe('nodeLoadScore', () => {
  it('is busy work plus backlog, or memory pressure, whichever is higher', () => {
    expect(nodeLoadScore(idle)).toBeCloseTo(0.1, 12); // memory 10 %
    expect(nodeLoadScore({ ...idle, rssBytes: 0, eventLoopUtilization: 0.5 })).toBeCloseTo(0.4, 12);
    // Every thread busy but no backlog: high, not overloaded (leastLoaded avoids it, owners still serve).
    const saturated = nodeLoadScore({ ...idle, poolUtilization: 1 });
    expect(saturated).toBeCloseTo(0.8, 12);
    expect(isOverloaded(saturated)).toBe(false);
    // Busy, and the queue would take a second or more to drain: overloaded.
    expect(nodeLoadScore({ ...idle, poolUtilization: 1, poolQueueDepth: 40, callsPerSecond: 40 })).toBeCloseTo(1, 12);
    // Hundreds queued but drained in milliseconds (a batching pool at full throughput): busy, not overloaded.
    expect(
      isOverloaded(nodeLoadScore({ ...idle, poolUtilization: 1, poolQueueDepth: 900, callsPerSecond: 60_000 })),
    ).toBe(false);
    // Nothing answered while calls wait: a full backlog.
    const backlog = nodeLoadScore({ ...idle, poolUtilization: 1, poolQueueDepth: 16 });
    expect(backlog).toBeCloseTo(1, 12);
    expect(isOverloaded(nodeLoadScore({ ...idle, cpu: 1, poolQueueDepth: 8 }))).toBe(true);
    expect(isOverloaded(nodeLoadScore({ ...idle, rssBytes: 950 }))).toBe(true);
    // Unknown counts as busy.
    expect(nodeLoadScore({ ...idle, cpu: Number.NaN })).toBeGreaterThanOrEqual(0.8);
  });

  it('a pool still starting its workers is not saturated: its threads count again past the start grace', () => {
    // Calls queued for workers that are loading: every task "in flight", nothing answered yet.
    const starting = { ...idle, poolUtilization: 1, poolQueueDepth: 16 };
    expect(nodeLoadScore(starting)).toBeCloseTo(1, 12); // progressing pools (stalled 0) are measured as before
    expect(nodeLoadScore(starting, 1_000)).toBeCloseTo(0.2, 12); // the backlog alone: 0.2 x 1
    expect(isOverloaded(nodeLoadScore(starting, WORKER_START_GRACE_MS - 1))).toBe(false);
    // Past the grace the stall is long tasks, not a start: saturated again.
    expect(nodeLoadScore(starting, WORKER_START_GRACE_MS)).toBeCloseTo(1, 12);
    // The CPU and event-loop terms still count while starting: a busy main thread is saturation.
    expect(nodeLoadScore({ ...starting, eventLoopUtilization: 1 }, 1_000)).toBeCloseTo(1, 12);
  });

  it('compactLoad carries the score into heartbeats and views, where it is the member load score', () => {
    const report: NodeLoadReport = { ...idle, node: 'n1', at: 1, poolUtilization: 0.5, score: 0.42, degraded: [] };
    const compact = compactLoad(report);
    expect(compact).toMatchObject({ score: 0.42, activeFunctions: 1, maxFunctions: 2, maxQueue: 16 });
    expect(shardLoad(compact)).toBe(0.42);
    const view = createClusterView([{ id: 'n1', tags: [], load: compact }]);
    expect(view.byId.get('n1')!.loadScore).toBe(0.42);
  });
});
