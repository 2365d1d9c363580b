/** Degradation: a function's interval p50 past 1.5× its recent baseline on a node, and placement passing it over. */
import { describe, expect, it } from 'vitest';
import { createClusterView } from '../src/cluster-view.js';
import { defineFunction } from '../src/definition.js';
import { INITIAL_DEGRADATION_STATE, nextDegradation } from '../src/degradation.js';
import { placeFunction, RoutingStates } from '../src/placement/place.js';
import { leastLoaded, roundRobin } from '../src/routing/strategy.js';
import { scoredLoad } from './load-reports.js';

describe('nextDegradation', () => {
  it('judges only after a warm baseline and with enough calls, then flags a p50 past 1.5x', () => {
    let state = INITIAL_DEGRADATION_STATE;
    for (let i = 0; i < 3; i++) state = nextDegradation(state, 20, 50);
    expect(state).toMatchObject({ baselineMs: 20, intervals: 3, degraded: false, quiet: 0 });
    expect(nextDegradation(state, 29, 50).degraded).toBe(false);
    expect(nextDegradation(state, 31, 50).degraded).toBe(true);
    // Jitter of a fast function is noise: 0.3 -> 3 ms is 10x, but under the 5 ms floor.
    let fast = INITIAL_DEGRADATION_STATE;
    for (let i = 0; i < 3; i++) fast = nextDegradation(fast, 0.3, 50);
    expect(nextDegradation(fast, 3, 50).degraded).toBe(false);
    expect(nextDegradation(fast, 6, 50).degraded).toBe(true);
    // Too few calls: not judged, nothing changes.
    expect(nextDegradation(state, 30, 5)).toBe(state);
    // Degraded and then without traffic (placement avoids it): judged again after 10 quiet intervals.
    let avoided = nextDegradation(state, 31, 50);
    for (let i = 0; i < 9; i++) avoided = nextDegradation(avoided, Number.NaN, 0);
    expect(avoided.degraded).toBe(true);
    expect(nextDegradation(avoided, Number.NaN, 0).degraded).toBe(false);
    // Cold: a slow first intervals are the baseline, not a degradation.
    expect(nextDegradation(INITIAL_DEGRADATION_STATE, 30, 50).degraded).toBe(false);
  });

  it('follows a lasting change: the baseline catches up and the flag clears', () => {
    let state = INITIAL_DEGRADATION_STATE;
    for (let i = 0; i < 3; i++) state = nextDegradation(state, 20, 50);
    const flags: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      state = nextDegradation(state, 40, 50);
      flags.push(state.degraded);
    }
    expect(flags[0]).toBe(true);
    expect(flags.at(-1)).toBe(false);
  });
});

describe('placement prefers nodes where a function is healthy', () => {
  const load = scoredLoad;
  const view = createClusterView([
    { id: 'n1', tags: [], load: load(0.1, ['quote']) },
    { id: 'n2', tags: [], load: load(0.3) },
    { id: 'n3', tags: [], load: load(0.5) },
  ]);

  it('passes over the degraded node for that function only', () => {
    const quote = defineFunction({ name: 'quote', routing: leastLoaded() }, () => 0);
    const other = defineFunction({ name: 'other', routing: leastLoaded() }, () => 0);
    expect(placeFunction(quote, {}, view)).toEqual({ type: 'node', node: 'n2' });
    expect(placeFunction(other, {}, view)).toEqual({ type: 'node', node: 'n1' });
    const spread = defineFunction({ name: 'quote', routing: roundRobin() }, () => 0);
    const states = new RoutingStates();
    const picks = Array.from({ length: 30 }, () => (placeFunction(spread, {}, view, states) as { node: string }).node);
    expect(picks).not.toContain('n1');
  });

  it('keeps the degraded node when it is the only capable one', () => {
    const alone = createClusterView([{ id: 'n1', tags: [], load: load(0.1, ['quote']) }]);
    const quote = defineFunction({ name: 'quote', routing: leastLoaded() }, () => 0);
    expect(placeFunction(quote, {}, alone)).toEqual({ type: 'node', node: 'n1' });
  });
});
