/**
 * The rebalancing decision: bounded shedding under sustained load toward cooler peers, absorbing by the
 * least-loaded, restoring, and scale-in candidacy. One call per load sample, the way the node's rebalancer
 * calls it on each report of its sampling clock.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REBALANCE_POLICY,
  INITIAL_REBALANCE_STATE,
  nextRebalance,
  type RebalanceState,
} from '../src/rebalance.js';

/** Two cool peers: somewhere to shed to. */
const COOL = [0.3, 0.3] as const;

/** Feeds `scores` one sample at a time, with the peers' scores of each sample; returns the steps seen. */
function run(
  scores: readonly number[],
  from: RebalanceState = INITIAL_REBALANCE_STATE,
  peers: readonly number[] = COOL,
) {
  let state = from;
  const steps = scores.map((score) => {
    const step = nextRebalance(state, score, peers);
    state = step.state;
    return step;
  });
  return { state, steps };
}

describe('nextRebalance', () => {
  it('sheds one bounded step per sustained window above 0.85, down to the floor', () => {
    const { steps, state } = run(Array(3 * 8).fill(0.95));
    const sheds = steps.filter((s) => s.action === 'shed').map((s) => s.state.weight);
    // One step every 3 samples: 1 -> 0.75 -> 0.5625 -> ... never below 0.25.
    expect(sheds[0]).toBeCloseTo(0.75, 12);
    expect(sheds[1]).toBeCloseTo(0.5625, 12);
    expect(steps.slice(0, 2).every((s) => s.action === 'hold')).toBe(true);
    expect(state.weight).toBe(DEFAULT_REBALANCE_POLICY.minWeight);
  });

  it('does not shed on a spike, and restores step by step once load stays below 0.6', () => {
    expect(run([0.95, 0.95, 0.5, 0.95, 0.95]).state.weight).toBe(1);
    const shed = run(Array(6).fill(0.95)).state;
    expect(shed.weight).toBeCloseTo(0.5625, 12);
    const { state, steps } = run(Array(6).fill(0.4), shed);
    expect(steps.filter((s) => s.action === 'restore')).toHaveLength(2);
    expect(state.weight).toBeCloseTo(1, 12);
    // Between 0.6 and 0.85 nothing moves.
    expect(run(Array(10).fill(0.7), shed).state.weight).toBe(shed.weight);
  });

  it('never moves anything on a node alone, nor among nodes that are all busy', () => {
    const alone = run(Array(30).fill(0.99), INITIAL_REBALANCE_STATE, []);
    expect(alone.state.weight).toBe(1);
    expect(alone.steps.every((s) => s.action === 'hold')).toBe(true);
    const allBusy = run(Array(30).fill(0.99), INITIAL_REBALANCE_STATE, [0.9, 0.7]);
    expect(allBusy.state.weight).toBe(1);
    // Once a peer cools down, the sustained node sheds at once (its window is already full).
    expect(nextRebalance(allBusy.state, 0.99, [0.9, 0.4]).action).toBe('shed');
  });

  it('the least-loaded peer absorbs one bounded step per sustained window while a peer is hot, up to 2', () => {
    const hot = [0.95, 0.5] as const;
    const coolest = run(Array(3 * 6).fill(0.1), INITIAL_REBALANCE_STATE, hot);
    const absorbs = coolest.steps.filter((s) => s.action === 'absorb').map((s) => s.state.weight);
    expect(absorbs[0]).toBeCloseTo(4 / 3, 12);
    expect(absorbs[1]).toBeCloseTo(16 / 9, 12);
    expect(coolest.state.weight).toBe(DEFAULT_REBALANCE_POLICY.maxWeight);
    // A node more than 0.1 above the coolest peer is not among the least-loaded: it does not pull keys.
    const middle = run(Array(18).fill(0.5), INITIAL_REBALANCE_STATE, [0.95, 0.1]);
    expect(middle.state.weight).toBe(1);
    // A hot peer for only two samples is a spike: nothing moves.
    expect(run([0.1, 0.1], INITIAL_REBALANCE_STATE, hot).state.weight).toBe(1);
  });

  it('an absorbing node gives its extra share back step by step once no peer is hot', () => {
    const absorbed = run(Array(9).fill(0.1), INITIAL_REBALANCE_STATE, [0.95, 0.5]).state;
    expect(absorbed.weight).toBeGreaterThan(1.5);
    const calm = run(Array(12).fill(0.1), absorbed, [0.5, 0.5]);
    const weights = calm.steps.filter((s) => s.action === 'restore').map((s) => s.state.weight);
    expect(weights.length).toBeGreaterThan(1);
    // Each step at most a quarter of the weight, and never below 1.
    for (let i = 1; i < weights.length; i++) expect(weights[i]!).toBeGreaterThanOrEqual(weights[i - 1]! * 0.75);
    expect(calm.state.weight).toBe(1);
  });

  it('a hot node and a cool one settle in two rounds per window each, without thrashing back and forth', () => {
    // The hot node sheds while hot; its cool peer absorbs; the load between 0.6 and 0.85 after that moves nothing.
    let hot = INITIAL_REBALANCE_STATE;
    let cool = INITIAL_REBALANCE_STATE;
    const moves: string[] = [];
    const hotScores = [...Array(6).fill(0.95), ...Array(30).fill(0.7)];
    for (const hotScore of hotScores) {
      const coolScore = 0.2;
      const a = nextRebalance(hot, hotScore, [coolScore]);
      const b = nextRebalance(cool, coolScore, [hotScore]);
      hot = a.state;
      cool = b.state;
      if (a.action !== 'hold') moves.push(`hot ${a.action}`);
      if (b.action !== 'hold') moves.push(`cool ${b.action}`);
    }
    expect(moves.slice(0, 4)).toEqual(['hot shed', 'cool absorb', 'hot shed', 'cool absorb']);
    // Afterwards only the cool node walks back to 1 (no hot peer), the hot one stays shed (0.7 is not below 0.6).
    expect(moves.slice(4).every((m) => m === 'cool restore')).toBe(true);
    expect(hot.weight).toBeCloseTo(0.5625, 12);
    expect(cool.weight).toBe(1);
  });

  it('reports a scale-in candidate after a sustained window below 0.2, and drops it when load returns', () => {
    const quiet = run(Array(30).fill(0.05));
    expect(quiet.steps[28]!.scaleInCandidate).toBe(false);
    expect(quiet.steps[29]!.scaleInCandidate).toBe(true);
    expect(nextRebalance(quiet.state, 0.5, COOL).scaleInCandidate).toBe(false);
  });
});
