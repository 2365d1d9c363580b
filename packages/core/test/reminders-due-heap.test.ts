import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DueHeap } from '../src/reminders/due-heap.js';

const item = (dueAt: number, id = dueAt) => ({ dueAt, id });

describe('DueHeap', () => {
  it('pops in due order, ties in insertion order', () => {
    const heap = new DueHeap<{ dueAt: number; id: string }>();
    heap.push({ dueAt: 5, id: 'a' });
    heap.push({ dueAt: 1, id: 'b' });
    heap.push({ dueAt: 5, id: 'c' });
    heap.push({ dueAt: 3, id: 'd' });
    expect(heap.peek()?.id).toBe('b');
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()].map((x) => x?.id)).toEqual(['b', 'd', 'a', 'c']);
    expect(heap.pop()).toBeUndefined();
    expect(heap.size).toBe(0);
  });

  it('descending pops the latest first', () => {
    const heap = new DueHeap<{ dueAt: number; id: number }>({ descending: true });
    for (const due of [4, 9, 1, 7]) heap.push(item(due));
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()].map((x) => x?.dueAt)).toEqual([9, 7, 4, 1]);
  });

  it('property: pops are a stable sort of the pushes, whatever the interleaving', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant(-1)), { maxLength: 200 }), (ops) => {
        const heap = new DueHeap<{ dueAt: number; id: number }>();
        const model: { dueAt: number; id: number }[] = [];
        let id = 0;
        for (const op of ops) {
          if (op >= 0) {
            const next = { dueAt: op, id: id++ };
            heap.push(next);
            model.push(next);
          } else {
            // The model's earliest, first pushed among equals.
            model.sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
            expect(heap.pop()).toEqual(model.shift());
          }
          expect(heap.size).toBe(model.length);
        }
      }),
    );
  });
});
