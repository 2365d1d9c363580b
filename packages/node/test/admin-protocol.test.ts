import { DecodeError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { watchSubject } from '../src/admin/inspect-commands.js';
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

describe('watchSubject', () => {
  it('maps types and patterns into the cluster’s event subjects and refuses the rest', () => {
    expect(watchSubject('c', 'OrderPlaced')).toBe('lucent.c.events.OrderPlaced');
    expect(watchSubject('c', 'orders.>')).toBe('lucent.c.events.orders.>');
    expect(watchSubject('c', '*.created')).toBe('lucent.c.events.*.created');
    expect(watchSubject('c', '>')).toBe('lucent.c.events.>');
    for (const bad of ['', 'a..b', 'a.>.b', 'has space', 'a>']) expect(watchSubject('c', bad)).toBeUndefined();
  });
});
