/** The rebalancing decision: bounded shedding under sustained load, restoring, and scale-in candidacy. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REBALANCE_POLICY,
  INITIAL_REBALANCE_STATE,
  nextRebalance,
  type RebalanceState,
} from '../src/rebalance.js';

/** Feeds `scores` one sample at a time; returns the weights and actions seen. */
function run(scores: readonly number[], from: RebalanceState = INITIAL_REBALANCE_STATE) {
  let state = from;
  const steps = scores.map((score) => {
    const step = nextRebalance(state, score);
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

  it('reports a scale-in candidate after a sustained window below 0.2, and drops it when load returns', () => {
    const quiet = run(Array(30).fill(0.05));
    expect(quiet.steps[28]!.scaleInCandidate).toBe(false);
    expect(quiet.steps[29]!.scaleInCandidate).toBe(true);
    expect(nextRebalance(quiet.state, 0.5).scaleInCandidate).toBe(false);
  });
});
