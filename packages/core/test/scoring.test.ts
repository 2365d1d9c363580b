import { describe, expect, it } from 'vitest';
import { NoCapacityError } from '../src/errors.js';
import {
  chooseFunction,
  chooseShard,
  clampUnit,
  DEFAULT_LOAD_WEIGHTS,
  type FunctionCandidate,
  functionScore,
  isOverloaded,
  type LoadReport,
  OVERLOAD_THRESHOLD,
  type ShardCandidate,
  shardLoad,
  shardScore,
} from '../src/scoring.js';

const report = (r: Partial<LoadReport> = {}): LoadReport => ({
  cpu: 0,
  memory: 0,
  activeFunctions: 0,
  maxFunctions: 10,
  queueDepth: 0,
  maxQueue: 100,
  ...r,
});
const variant = (name: string, f: Partial<FunctionCandidate> = {}): FunctionCandidate => ({
  name,
  enabled: true,
  weight: 1,
  load: 0,
  resource: 1,
  priority: 0.5,
  affinity: 0,
  ...f,
});
const noCapacity = expect.objectContaining({ code: NoCapacityError.code });

describe('shardLoad', () => {
  it('is 0.3 cpu + 0.3 memory + 0.25 active/max + 0.15 queue/maxQueue', () => {
    const r = report({ cpu: 0.5, memory: 0.2, activeFunctions: 4, maxFunctions: 8, queueDepth: 30, maxQueue: 120 });
    expect(shardLoad(r)).toBeCloseTo(0.3 * 0.5 + 0.3 * 0.2 + 0.25 * 0.5 + 0.15 * 0.25, 12);
    expect(shardLoad(r)).toBeCloseTo(0.3725, 12);
    expect(shardLoad(report())).toBe(0);
    expect(shardLoad(report({ cpu: 1, memory: 1, activeFunctions: 10, queueDepth: 100 }))).toBeCloseTo(1, 12);
  });

  it('uses the weights it is given', () => {
    const r = report({ cpu: 0.5, memory: 0.2, activeFunctions: 4, maxFunctions: 8, queueDepth: 30, maxQueue: 120 });
    expect(shardLoad(r, { cpu: 1, memory: 0, functions: 0, queue: 0 })).toBeCloseTo(0.5, 12);
    expect(shardLoad(r, { cpu: 0, memory: 0, functions: 0.5, queue: 0.5 })).toBeCloseTo(0.375, 12);
    expect(DEFAULT_LOAD_WEIGHTS).toEqual({ cpu: 0.3, memory: 0.3, functions: 0.25, queue: 0.15 });
  });

  it('clamps fractions, treats a zero max as full and NaN as busy', () => {
    expect(shardLoad(report({ cpu: 1.7, memory: -0.2 }))).toBeCloseTo(0.3, 12);
    expect(shardLoad(report({ maxFunctions: 0 }))).toBeCloseTo(0.25, 12);
    expect(shardLoad(report({ maxQueue: 0 }))).toBeCloseTo(0.15, 12);
    expect(shardLoad(report({ activeFunctions: 50 }))).toBeCloseTo(0.25, 12);
    expect(clampUnit(Number.NaN)).toBe(1);
    expect(clampUnit(0.25)).toBe(0.25);
  });

  it('counts load >= 0.9 as overloaded', () => {
    expect(OVERLOAD_THRESHOLD).toBe(0.9);
    expect(isOverloaded(0.9)).toBe(true);
    expect(isOverloaded(0.8999)).toBe(false);
    expect(isOverloaded(Number.NaN)).toBe(true);
  });
});

describe('shardScore and chooseShard', () => {
  it('is 0.4 (1 - load) + 0.35 affinity + 0.25 capacity', () => {
    const c: ShardCandidate = { id: 'a', load: 0.3, affinity: 1, capacity: 0.6 };
    expect(shardScore(c)).toBeCloseTo(0.4 * 0.7 + 0.35 * 1 + 0.25 * 0.6, 12);
    expect(shardScore(c)).toBeCloseTo(0.78, 12);
    expect(shardScore(c, { idle: 1, affinity: 0, capacity: 0 })).toBeCloseTo(0.7, 12);
  });

  it('chooses the best score, never an overloaded shard, and breaks ties by smallest id', () => {
    const shards: ShardCandidate[] = [
      { id: 'busy-but-affine', load: 0.95, affinity: 1, capacity: 1 },
      { id: 'b', load: 0.5, affinity: 0, capacity: 0.5 },
      { id: 'c', load: 0.2, affinity: 0, capacity: 0.5 },
    ];
    expect(chooseShard(shards).id).toBe('c');
    const affine = { id: 'd', load: 0.6, affinity: 1, capacity: 0.4 }; // 0.16 + 0.35 + 0.1 = 0.61 > c's 0.445
    expect(chooseShard([...shards, affine]).id).toBe('d');
    expect(
      chooseShard([
        { id: 'z', load: 0.1, affinity: 0, capacity: 0 },
        { id: 'y', load: 0.1, affinity: 0, capacity: 0 },
      ]).id,
    ).toBe('y');
    expect(
      chooseShard([
        { id: 'edge', load: 0.9, affinity: 1, capacity: 1 },
        { id: 'ok', load: 0.89, affinity: 0, capacity: 0 },
      ]).id,
    ).toBe('ok');
  });

  it('throws NoCapacityError when there is no candidate or all are overloaded', () => {
    expect(() => chooseShard([])).toThrowError(noCapacity);
    expect(() => chooseShard([{ id: 'a', load: 0.9, affinity: 1, capacity: 1 }])).toThrowError(noCapacity);
  });
});

describe('functionScore and chooseFunction', () => {
  it('is 0.3 (1 - load) + 0.25 resource + 0.25 priority + 0.2 affinity', () => {
    const c = variant('v', { load: 0.4, resource: 0.8, priority: 0.6, affinity: 1 });
    expect(functionScore(c)).toBeCloseTo(0.3 * 0.6 + 0.25 * 0.8 + 0.25 * 0.6 + 0.2 * 1, 12);
    expect(functionScore(c)).toBeCloseTo(0.73, 12);
    expect(functionScore(c, { load: 0, resource: 0, priority: 1, affinity: 0 })).toBeCloseTo(0.6, 12);
  });

  it('returns the best by score × weight, and never a disabled or zero-weight variant', () => {
    const a = variant('a', { priority: 1 });
    const b = variant('b', { priority: 0 });
    expect(chooseFunction([a, b]).name).toBe('a');
    expect(chooseFunction([{ ...a, enabled: false }, b]).name).toBe('b');
    expect(chooseFunction([{ ...a, weight: 0 }, b]).name).toBe('b');
    // b scores 0.675 vs a's 0.925, but with weight 3 its value 2.025 beats 0.925.
    expect(chooseFunction([a, { ...b, weight: 3 }]).name).toBe('b');
    expect(chooseFunction([variant('y'), variant('x')]).name).toBe('x');
  });

  it('splits by score × weight when given a draw (an A/B split when variants score alike)', () => {
    const control = variant('control', { weight: 9 });
    const treatment = variant('treatment', { weight: 1 });
    const picks = { control: 0, treatment: 0 };
    for (let i = 0; i < 1000; i++)
      picks[chooseFunction([control, treatment], undefined, (i + 0.5) / 1000).name as 'control']++;
    expect(picks).toEqual({ control: 900, treatment: 100 });
    expect(chooseFunction([control, treatment], undefined, 0.8999).name).toBe('control');
    expect(chooseFunction([control, treatment], undefined, 0.9).name).toBe('treatment');
    expect(chooseFunction([control, treatment], undefined, 1).name).toBe('treatment');
    expect(chooseFunction([{ ...control, enabled: false }, treatment], undefined, 0).name).toBe('treatment');
  });

  it('throws NoCapacityError when every variant is disabled or weightless', () => {
    expect(() => chooseFunction([])).toThrowError(noCapacity);
    expect(() => chooseFunction([variant('a', { enabled: false }), variant('b', { weight: 0 })])).toThrowError(
      noCapacity,
    );
  });
});
