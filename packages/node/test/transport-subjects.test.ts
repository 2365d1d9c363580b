import { ConfigError } from '@lucent/core';
import { describe, expect, it } from 'vitest';
import {
  allEventsSubject,
  allMetricsSubject,
  eventSubject,
  functionNameOf,
  functionSubject,
  metricsSubject,
  newConnectionId,
  nodeSubject,
  replySubject,
} from '../src/transport/subjects.js';

describe('subjects', () => {
  it('reads the function name back from its subject, and nothing from other subjects', () => {
    expect(functionNameOf('prod', functionSubject('prod', 'orders.place'))).toBe('orders.place');
    expect(functionNameOf('prod', nodeSubject('prod', 'n-1'))).toBeUndefined();
    expect(functionNameOf('prod', functionSubject('test', 'x'))).toBeUndefined();
    expect(functionNameOf('prod', 'lucent.prod.fn.')).toBeUndefined();
  });

  it('builds the design.md names', () => {
    expect(nodeSubject('prod', 'n-1')).toBe('lucent.prod.node.n-1');
    expect(functionSubject('prod', 'orders.place')).toBe('lucent.prod.fn.orders.place');
    expect(metricsSubject('prod', 'n-1')).toBe('lucent.prod.metrics.n-1');
    expect(allMetricsSubject('prod')).toBe('lucent.prod.metrics.*');
    expect(eventSubject('prod', 'order.placed')).toBe('lucent.prod.events.order.placed');
    expect(allEventsSubject('prod')).toBe('lucent.prod.events.>');
    expect(replySubject('prod', 'abc_D-1')).toBe('lucent.prod.reply.abc_D-1');
  });

  it.each([
    () => nodeSubject('a.b', 'n'),
    () => nodeSubject('c', 'n.1'),
    () => nodeSubject('c', '*'),
    () => functionSubject('c', 'a..b'),
    () => eventSubject('c', '>'),
    () => metricsSubject('c', ''),
    () => replySubject('c', 'x y'),
  ])('rejects tokens that would change the subject (%#) with ConfigError', (build) => {
    expect(build).toThrow(ConfigError);
  });

  it('connection ids are single tokens and distinct', () => {
    const ids = new Set(Array.from({ length: 1000 }, newConnectionId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(() => replySubject('c', id)).not.toThrow();
  });
});
