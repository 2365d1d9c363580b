/**
 * The rebalancer shell: after each load sample it reads its peers' scores from the membership view, runs core's
 * `nextRebalance` and carries the step out on membership's ring weight. Samples are pushed by hand (the load
 * reporter's clock is what paces them in a node), so nothing here waits.
 */
import { createClusterView, type LoadReport, type NodeLoadReport } from '@lucent/core/internal';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { LoadReporterExtension } from '../src/load/load-reporter.js';
import { RebalancerExtension } from '../src/load/rebalancer.js';
import type { MembershipExtension } from '../src/membership/membership-extension.js';
import type { ShardContext } from '../src/shard/shard-context.js';

const at = (score: number): LoadReport => ({
  cpu: 0,
  memory: 0,
  activeFunctions: 0,
  maxFunctions: 1,
  queueDepth: 0,
  maxQueue: 1,
  score,
});

/** A rebalancer for node `a` whose peers score `peers`; returns it, a sample pusher and the weights it set. */
function rebalancer(peers: Record<string, number>, shed = true) {
  const listeners: ((report: NodeLoadReport) => void)[] = [];
  const reporter = { onSample: (listener: (r: NodeLoadReport) => void) => listeners.push(listener) };
  const weights: number[] = [];
  const view = createClusterView([
    { id: 'a', tags: [], load: at(0) },
    ...Object.entries(peers).map(([id, score]) => ({ id, tags: [], load: at(score) })),
  ]);
  const membership = {
    viewSource: { current: () => view },
    membership: { setWeight: (weight: number) => weights.push(weight) },
  };
  const extension = new RebalancerExtension({
    reporter: reporter as unknown as LoadReporterExtension,
    membership: membership as unknown as MembershipExtension,
    shed,
  });
  const logs: string[] = [];
  const logger = { info: (_o: unknown, msg: string) => logs.push(msg) };
  extension.start({ nodeId: 'a', metrics: { registry: new Registry() }, logger } as unknown as ShardContext);
  const sample = (score: number, times = 1): void => {
    for (let i = 0; i < times; i++) for (const listener of listeners) listener({ score } as NodeLoadReport);
  };
  return { extension, sample, weights, logs };
}

describe('RebalancerExtension', () => {
  it('sheds toward a cooler peer after a sustained window, one bounded step', () => {
    const { sample, weights, logs } = rebalancer({ b: 0.2, c: 0.9 });
    sample(0.95, 2);
    expect(weights).toEqual([]);
    sample(0.95);
    expect(weights).toEqual([0.75]);
    expect(logs).toContain('node.rebalance');
  });

  it('a node alone, or among busy peers, never changes its weight', () => {
    const alone = rebalancer({});
    alone.sample(0.99, 20);
    expect(alone.weights).toEqual([]);
    const busy = rebalancer({ b: 0.88, c: 0.95 });
    busy.sample(0.99, 20);
    expect(busy.weights).toEqual([]);
  });

  it('the least-loaded node absorbs while a peer stays hot', () => {
    const { sample, weights, extension } = rebalancer({ b: 0.95, c: 0.5 });
    sample(0.1, 3);
    expect(weights).toHaveLength(1);
    expect(weights[0]).toBeCloseTo(4 / 3, 12);
    expect(extension.weight).toBeCloseTo(4 / 3, 12);
  });

  it('with shedding off, only reports: no weight change, and scale-in candidacy after 30 idle samples', () => {
    const { sample, weights, extension } = rebalancer({ b: 0.2 }, false);
    sample(0.95, 10);
    expect(weights).toEqual([]);
    sample(0.05, 29);
    expect(extension.scaleInCandidate).toBe(false);
    sample(0.05);
    expect(extension.scaleInCandidate).toBe(true);
    expect(extension.weight).toBe(1);
  });
});
