import { describe, expect, it } from 'vitest';
import { RequestSlots } from '../src/transport/request-slots.js';

const entry = (id: number) => ({ id });

function addNext(table: RequestSlots<{ id: number }>): number {
  const id = table.nextId();
  table.add(entry(id));
  return id;
}

describe('RequestSlots', () => {
  it('hands out ids in order and finds, takes and forgets each one', () => {
    const table = new RequestSlots<{ id: number }>(1_000_000);
    const ids = Array.from({ length: 5 }, () => addNext(table));
    expect(ids).toEqual([1, 2, 3, 4, 5]);
    expect(table.size).toBe(5);
    expect(table.get(3)).toEqual({ id: 3 });
    expect(table.take(3)).toEqual({ id: 3 });
    expect(table.get(3)).toBeUndefined();
    expect(table.take(3)).toBeUndefined();
    expect(table.size).toBe(4);
    expect(table.values().map((e) => e.id)).toEqual([1, 2, 4, 5]);
  });

  it('an id sharing a slot with a pending entry is neither found nor taken in its place', () => {
    const table = new RequestSlots<{ id: number }>(1_000_000);
    const first = addNext(table);
    // Walk the ids once around the 1024-slot table while `first` stays pending.
    for (let i = 0; i < 1100; i++) table.take(addNext(table));
    expect(table.get(first + 1024)).toBeUndefined();
    expect(table.take(first + 1024)).toBeUndefined();
    expect(table.get(first)).toEqual({ id: first });
  });

  it('skips an id whose slot a long-pending entry holds', () => {
    const table = new RequestSlots<{ id: number }>(1_000_000);
    const stuck = addNext(table); // id 1, slot 1
    let sawCollidingId = false;
    for (let i = 0; i < 3000; i++) {
      const id = addNext(table);
      if ((id & 1023) === (stuck & 1023)) sawCollidingId = true;
      table.take(id);
    }
    expect(sawCollidingId).toBe(false);
    expect(table.get(stuck)).toEqual({ id: stuck });
  });

  it('wraps past maxId to 1 and never hands out an id still pending', () => {
    const table = new RequestSlots<{ id: number }>(2000);
    const pending = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const id = addNext(table);
      expect(id).toBeGreaterThanOrEqual(1);
      expect(id).toBeLessThanOrEqual(2000);
      expect(pending.has(id)).toBe(false);
      pending.add(id);
      // Keep every seventh entry pending for a while, take the rest at once.
      if (i % 7 !== 0) {
        table.take(id);
        pending.delete(id);
      } else if (pending.size > 300) {
        const oldest = pending.values().next().value!;
        expect(table.take(oldest)).toEqual({ id: oldest });
        pending.delete(oldest);
      }
    }
    expect(table.size).toBe(pending.size);
  });

  it('grows past half full and keeps every entry reachable; an emptied big table starts small again', () => {
    const table = new RequestSlots<{ id: number }>(1_000_000);
    const ids = Array.from({ length: 40_000 }, () => addNext(table));
    expect(table.size).toBe(40_000);
    for (const id of ids) expect(table.get(id)?.id).toBe(id);
    for (const id of ids) expect(table.take(id)?.id).toBe(id);
    expect(table.size).toBe(0);
    // Back at 1024 slots: ids continue in order and land in the small table.
    const next = addNext(table);
    expect(next).toBe(40_001);
    expect(table.get(next)).toEqual({ id: next });
  });
});
