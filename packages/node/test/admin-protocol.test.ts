import { DecodeError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { watchFilter } from '../src/admin/watch-filter.js';
import { decodeAdminAnswer, decodeAdminRequest, encodeAdmin } from '../src/admin-service/admin-protocol.js';

const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

describe('admin requests', () => {
  it('decode every op with its fields', () => {
    expect(decodeAdminRequest(bytes({ op: 'status', extra: 1 }))).toEqual({ op: 'status' });
    expect(decodeAdminRequest(bytes({ op: 'actors' }))).toEqual({ op: 'actors' });
    expect(decodeAdminRequest(bytes({ op: 'actors', type: 'c', limit: 5 }))).toEqual({
      op: 'actors',
      type: 'c',
      limit: 5,
    });
    for (const op of ['actor', 'pause', 'resume', 'stop']) {
      expect(decodeAdminRequest(bytes({ op, type: 'c', id: '1' }))).toEqual({ op, type: 'c', id: '1' });
    }
  });

  it('refuse anything else with a DecodeError naming the problem', () => {
    const problem = (value: unknown) => {
      try {
        decodeAdminRequest(bytes(value));
      } catch (error) {
        expect(DecodeError.is(error)).toBe(true);
        return (error as Error).message;
      }
      throw new Error('decoded');
    };
    expect(problem('{nope')).toMatch(/admin request: not JSON/);
    expect(problem(7)).toMatch(/not an object/);
    expect(problem({ op: 'reboot' })).toMatch(/unknown op "reboot"/);
    expect(problem({ op: 'actors', limit: -1 })).toMatch(/limit must be a non-negative integer/);
    expect(problem({ op: 'pause', type: 'c' })).toMatch(/pause needs a string type and id/);
  });

  it('round-trip answers, and turn an error answer into an error with its code', () => {
    expect(decodeAdminAnswer(encodeAdmin({ node: 'n1', changed: true }))).toEqual({ node: 'n1', changed: true });
    expect(() => decodeAdminAnswer(encodeAdmin({ error: { code: 'LUCENT_DECODE', message: 'bad' } }))).toThrow(
      expect.objectContaining({ code: 'LUCENT_DECODE', message: 'bad' }),
    );
  });
});

describe('watchFilter', () => {
  it('listens to one type’s subject, or to every event matched on the dotted type, and refuses the rest', () => {
    expect(watchFilter('c', 'OrderPlaced')?.subject).toBe('lucent.c.events.OrderPlaced');
    expect(watchFilter('c', 'orders.created')?.subject).toBe('lucent.c.events.orders__created');
    const below = watchFilter('c', 'orders.>')!;
    expect(below.subject).toBe('lucent.c.events.>');
    expect(['orders__created', 'orders__a__b', 'orders', 'ordersX__y'].map((t) => below.matches(t))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    const created = watchFilter('c', '*.created')!;
    expect(['a__created', 'a__b__created', 'created'].map((t) => created.matches(t))).toEqual([true, false, false]);
    expect(watchFilter('c', '>')?.matches('Anything')).toBe(true);
    for (const bad of ['', 'a..b', 'a.>.b', 'has space', 'a>', 'a__b.c']) expect(watchFilter('c', bad)).toBeUndefined();
  });
});
