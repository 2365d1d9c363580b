import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { SubjectCache } from '../src/placement/subject-cache.js';
import {
  allEventsSubject,
  allMetricsSubject,
  DEFAULT_CLUSTER,
  eventSubject,
  functionNameOf,
  functionSubject,
  membershipSubject,
  metricsSubject,
  nodeSubject,
  replySubject,
} from '../src/placement/subjects.js';

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
    expect(eventSubject('prod', 'order.placed')).toBe('lucent.prod.events.order__placed');
    expect(eventSubject('prod', 'order__placed')).toBe(eventSubject('prod', 'order.placed'));
    expect(allEventsSubject('prod')).toBe('lucent.prod.events.>');
    expect(replySubject('prod', 'abc_D-1')).toBe('lucent.prod.reply.abc_D-1');
  });

  it.each([
    () => nodeSubject('a.b', 'n'),
    () => nodeSubject('c', 'n.1'),
    () => nodeSubject('c', '*'),
    () => functionSubject('c', 'a..b'),
    () => eventSubject('c', '>'),
    () => eventSubject('c', 'a..b'),
    () => eventSubject('c', 'a_.b'),
    () => metricsSubject('c', ''),
    () => replySubject('c', 'x y'),
  ])('rejects tokens that would change the subject (%#) with ConfigError', (build) => {
    expect(build).toThrow(ConfigError);
  });
});

describe('SubjectCache', () => {
  it('builds the same subjects as the functions, once each, and drops a version suffix for functions', () => {
    const cache = new SubjectCache('prod');
    expect(cache.node('n-1')).toBe(nodeSubject('prod', 'n-1'));
    expect(cache.node('n-1')).toBe(cache.node('n-1'));
    expect(cache.function('orders.place@2')).toBe(functionSubject('prod', 'orders.place'));
    expect(cache.event('order.placed')).toBe(eventSubject('prod', 'order.placed'));
    expect(new SubjectCache().node('x')).toBe(nodeSubject(DEFAULT_CLUSTER, 'x'));
  });

  it('refuses an invalid cluster at construction and invalid names at first use with ConfigError', () => {
    expect(() => new SubjectCache('a.b')).toThrow(ConfigError);
    const cache = new SubjectCache('c');
    expect(() => cache.node('a.b')).toThrow(ConfigError);
    expect(() => cache.event('>')).toThrow(ConfigError);
  });

  it('names the membership subject of a cluster', () => {
    expect(membershipSubject('prod')).toBe('lucent.prod.membership');
  });
});
