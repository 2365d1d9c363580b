import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DueWindow } from '../src/reminders/due-window.js';

interface Entry {
  readonly key: string;
  readonly dueAt: number;
  readonly partition: number;
}
const entry = (key: string, dueAt: number, partition = 0): Entry => ({ key, dueAt, partition });

describe('DueWindow', () => {
  it('takes due entries earliest first, up to a batch size', () => {
    const window = new DueWindow<Entry>({ capacity: 10 });
    window.offer(entry('c', 30));
    window.offer(entry('a', 10));
    window.offer(entry('b', 20));
    expect(window.nextDueAt()).toBe(10);
    expect(window.takeDue(25, 1).map((e) => e.key)).toEqual(['a']);
    expect(window.takeDue(25, 10).map((e) => e.key)).toEqual(['b']);
    expect(window.takeDue(25, 10)).toEqual([]);
    expect(window.nextDueAt()).toBe(30);
    expect(window.size).toBe(1);
  });

  it('a re-offer replaces the entry of its key; remove forgets it', () => {
    const window = new DueWindow<Entry>({ capacity: 10 });
    window.offer(entry('a', 10));
    window.offer(entry('a', 50));
    expect(window.size).toBe(1);
    expect(window.nextDueAt()).toBe(50);
    expect(window.takeDue(40, 10)).toEqual([]);
    expect(window.remove('a')?.dueAt).toBe(50);
    expect(window.nextDueAt()).toBeUndefined();
  });

  it('keeps only the capacity earliest and knows it is partial (paging)', () => {
    const window = new DueWindow<Entry>({ capacity: 4 });
    for (let i = 10; i >= 1; i--) window.offer(entry(`k${i}`, i * 10));
    // Truncated past 4 · 1.25 = 5: the earliest 4 of what it had, cutoff at the first dropped.
    expect(window.size).toBeLessThanOrEqual(5);
    expect(window.isPartial).toBe(true);
    expect(window.nextDueAt()).toBe(10);
    // Everything due before the cutoff is in the window.
    for (let due = 10; due < window.cutoff; due += 10) expect(window.get(`k${due / 10}`)).toBeDefined();
    // An offer past the cutoff is left to the store (and forgets a stale entry of its key).
    expect(window.offer(entry('late', window.cutoff + 1))).toBe(false);
    expect(window.get('late')).toBeUndefined();
  });

  it('tells onEvict of every entry a truncation drops, and values() lists the rest', () => {
    const evicted: string[] = [];
    const window = new DueWindow<Entry>({ capacity: 4, onEvict: (e) => evicted.push(e.key) });
    for (let i = 1; i <= 10; i++) window.offer(entry(`k${i}`, i * 10));
    const held = [...window.values()].map((e) => e.key);
    // Offers past the cutoff are refused (the caller knows: offer returned false); truncations are told.
    expect(evicted.length).toBeGreaterThan(0);
    expect(evicted.every((key) => !held.includes(key))).toBe(true);
    expect(held.sort()).toEqual(['k1', 'k2', 'k3', 'k4']);
    window.remove('k1');
    window.takeDue(20, 10);
    expect(evicted).not.toContain('k1');
    expect(evicted).not.toContain('k2');
  });

  it('needs a refill once a partial window runs down to a quarter; reset makes it complete', () => {
    const window = new DueWindow<Entry>({ capacity: 8 });
    for (let i = 0; i < 20; i++) window.offer(entry(`k${i}`, i));
    expect(window.isPartial).toBe(true);
    expect(window.needsRefill).toBe(false);
    window.takeDue(window.cutoff, 100);
    expect(window.needsRefill).toBe(true);
    window.reset();
    expect(window.isPartial).toBe(false);
    expect(window.size).toBe(0);
  });

  it('removeWhere drops the entries of partitions no longer owned', () => {
    const window = new DueWindow<Entry>({ capacity: 10 });
    window.offer(entry('a', 1, 0));
    window.offer(entry('b', 2, 1));
    window.offer(entry('c', 3, 0));
    expect(window.removeWhere((e) => e.partition === 0)).toBe(2);
    expect(window.takeDue(10, 10).map((e) => e.key)).toEqual(['b']);
  });

  it('property: paging through a store of any size fires everything once, in due order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 20 }),
        (dues, capacity) => {
          const store = new Map(dues.map((due, i) => [`k${i}`, entry(`k${i}`, due)]));
          const window = new DueWindow<Entry>({ capacity });
          const scan = () => {
            window.reset();
            for (const e of store.values()) window.offer(e);
          };
          scan();
          const fired: Entry[] = [];
          let now = 0;
          while (store.size > 0) {
            const next = window.nextDueAt();
            if (next === undefined || window.needsRefill) {
              scan();
              continue;
            }
            now = Math.max(now, next);
            for (const e of window.takeDue(now, 3)) {
              fired.push(e);
              store.delete(e.key);
            }
            // Memory stays bounded by the window, never the store.
            expect(window.size).toBeLessThanOrEqual(Math.max(capacity + 1, Math.floor(capacity * 1.25)));
          }
          expect(fired.length).toBe(dues.length);
          expect(fired.map((e) => e.dueAt)).toEqual([...dues].sort((a, b) => a - b));
        },
      ),
    );
  });
});
