/** The benches' round order: every variant runs right after every other one equally often. */
import { describe, expect, it } from 'vitest';
import { balancedRoundOrder } from '../src/round-order.js';

/** How often each ordered pair (a right before b) occurs within the rounds 0..rounds-1. */
function pairCounts(n: number, rounds: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    const order = balancedRoundOrder(r, n);
    for (let j = 1; j < n; j++) {
      const pair = `${order[j - 1]}>${order[j]}`;
      counts.set(pair, (counts.get(pair) ?? 0) + 1);
    }
  }
  return counts;
}

describe('balancedRoundOrder', () => {
  it('gives each round every variant once', () => {
    for (const n of [1, 2, 3, 4, 5, 6]) {
      for (let r = 0; r < 2 * n; r++) expect([...balancedRoundOrder(r, n)].sort()).toEqual([...Array(n).keys()]);
    }
  });

  it('has every variant follow every other exactly once in n rounds for even n', () => {
    for (const n of [2, 4, 6]) {
      const counts = pairCounts(n, n);
      expect(counts.size).toBe(n * (n - 1));
      expect([...counts.values()].every((count) => count === 1)).toBe(true);
    }
  });

  it('has every variant follow every other exactly twice in 2n rounds for odd n', () => {
    for (const n of [3, 5]) {
      const counts = pairCounts(n, 2 * n);
      expect(counts.size).toBe(n * (n - 1));
      expect([...counts.values()].every((count) => count === 2)).toBe(true);
    }
  });

  it('unlike a rotation, does not keep one variant always after the same one', () => {
    const followers = new Set<number>();
    for (let r = 0; r < 4; r++) {
      const order = balancedRoundOrder(r, 4);
      const at = order.indexOf(1);
      if (at > 0) followers.add(order[at - 1]!);
    }
    expect(followers.size).toBe(3);
  });
});
