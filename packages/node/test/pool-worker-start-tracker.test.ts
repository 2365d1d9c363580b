/** When a pool counts as dead: `threads` workers in a row that could not load the function modules. */
import { describe, expect, it } from 'vitest';
import { WorkerStartTracker } from '../src/pool/worker-start-tracker.js';

/** Feeds outcomes (true = loaded) and returns what each `record` answered. */
function feed(threads: number, outcomes: readonly boolean[]): boolean[] {
  const tracker = new WorkerStartTracker(threads);
  return outcomes.map((loaded) => tracker.record(loaded));
}

describe('WorkerStartTracker', () => {
  it('declares the pool dead once, at the threads-th failure in a row', () => {
    expect(feed(2, [true, false, false, false, true, false, false])).toEqual([
      false,
      false,
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  it('starts counting over after a worker that loaded', () => {
    expect(feed(2, [false, true, false, true, false])).toEqual([false, false, false, false, false]);
    const tracker = new WorkerStartTracker(3);
    tracker.record(false);
    tracker.record(false);
    tracker.record(true);
    expect(tracker.failuresInARow).toBe(0);
    expect(tracker.dead).toBe(false);
  });

  it('with one thread, the first failure is death', () => {
    const tracker = new WorkerStartTracker(1);
    expect(tracker.record(false)).toBe(true);
    expect(tracker.dead).toBe(true);
  });
});
