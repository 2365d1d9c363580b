import { knownErrorCodes, TimeoutError } from '@lucent/core/internal';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterFamily, HistogramFamily } from '../src/metrics/metric-families.js';
import { CALL_DURATION_BUCKETS, NodeMetrics } from '../src/metrics/node-metrics.js';

/** The value of the series `name{labels}` in exposition `text` (labels in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^([^{ ]+)(?:\{(.*)\})? (.+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]] as const),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

const seriesCount = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`)).length;

describe('NodeMetrics', () => {
  it('exposes every series on its own registry, labelled with the node id', async () => {
    const metrics = new NodeMetrics({ nodeId: 'n1' });
    metrics.forFunction('add');
    const text = await metrics.text();
    for (const name of [
      'lucent_calls_total',
      'lucent_call_duration_seconds',
      'lucent_errors_total',
      'lucent_forwards_total',
      'lucent_retries_total',
      'lucent_pool_utilization',
      'lucent_pool_queue_depth',
      'lucent_pool_tasks_in_flight',
      'lucent_active_actors',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(sample(text, 'lucent_calls_total', { function: 'add', outcome: 'ok', node: 'n1' })).toBe(0);
    expect(sample(text, 'lucent_forwards_total', { node: 'n1' })).toBe(0);
    // Every known error code is bound (at 0) from the first scrape.
    for (const code of knownErrorCodes()) expect(sample(text, 'lucent_errors_total', { code })).toBe(0);
    expect(metrics.contentType).toContain('text/plain');
  });

  it('two nodes in one process keep separate registries', async () => {
    const a = new NodeMetrics({ nodeId: 'a' });
    const b = new NodeMetrics({ nodeId: 'b' });
    a.forwarded();
    expect(sample(await a.text(), 'lucent_forwards_total', { node: 'a' })).toBe(1);
    expect(sample(await b.text(), 'lucent_forwards_total', { node: 'b' })).toBe(0);
  });

  it('forFunction binds once: the same object, and recording adds no series', async () => {
    const metrics = new NodeMetrics({ nodeId: 'n' });
    const add = metrics.forFunction('add');
    expect(metrics.forFunction('add')).toBe(add);
    const before = await metrics.text();
    add.succeeded(0.0003);
    add.succeeded(0.002);
    add.failed(TimeoutError.code, 1.2);
    add.failed('LUCENT_HANDLER', 0.00001);
    const after = await metrics.text();
    for (const name of ['lucent_calls_total', 'lucent_call_duration_seconds_bucket', 'lucent_errors_total']) {
      expect(seriesCount(after, name)).toBe(seriesCount(before, name));
    }
    expect(sample(after, 'lucent_calls_total', { function: 'add', outcome: 'ok' })).toBe(2);
    expect(sample(after, 'lucent_calls_total', { function: 'add', outcome: 'timeout' })).toBe(1);
    expect(sample(after, 'lucent_calls_total', { function: 'add', outcome: 'error' })).toBe(1);
    expect(sample(after, 'lucent_errors_total', { code: 'LUCENT_TIMEOUT' })).toBe(1);
    expect(sample(after, 'lucent_errors_total', { code: 'LUCENT_HANDLER' })).toBe(1);
    // Cumulative buckets: 0.00001 ≤ 0.00005; 0.0003 ≤ 0.0005; 0.002 ≤ 0.0025; 1.2 ≤ 2.5.
    const bucket = (le: string) => sample(after, 'lucent_call_duration_seconds_bucket', { function: 'add', le });
    expect(bucket('0.00005')).toBe(1);
    expect(bucket('0.00025')).toBe(1);
    expect(bucket('0.0005')).toBe(2);
    expect(bucket('0.0025')).toBe(3);
    expect(bucket('1')).toBe(3);
    expect(bucket('2.5')).toBe(4);
    expect(bucket('+Inf')).toBe(4);
    expect(sample(after, 'lucent_call_duration_seconds_count', { function: 'add' })).toBe(4);
    expect(sample(after, 'lucent_call_duration_seconds_sum', { function: 'add' })).toBeCloseTo(1.20231, 6);
  });

  it('counts an unknown error code as a new series, forwards and retries', async () => {
    const metrics = new NodeMetrics({ nodeId: 'n' });
    metrics.error('LUCENT_FROM_THE_FUTURE');
    metrics.error('LUCENT_FROM_THE_FUTURE');
    metrics.forwarded();
    metrics.retried('price', 'node_unavailable');
    metrics.retried('price', 'node_unavailable');
    const text = await metrics.text();
    expect(sample(text, 'lucent_errors_total', { code: 'LUCENT_FROM_THE_FUTURE' })).toBe(2);
    expect(sample(text, 'lucent_forwards_total', {})).toBe(1);
    expect(sample(text, 'lucent_retries_total', { function: 'price', reason: 'node_unavailable' })).toBe(2);
  });

  it('reads the pool and actor gauges from their sources on every scrape', async () => {
    const metrics = new NodeMetrics({ nodeId: 'n' });
    const stats = { utilization: 0.25, queueDepth: 7, tasksInFlight: 2, overloaded: 4, inlineCalls: 9 };
    let actors = 3;
    metrics.observePool({ stats: () => stats });
    metrics.observeActiveActors(() => actors);
    let text = await metrics.text();
    expect(sample(text, 'lucent_pool_utilization', {})).toBe(0.25);
    expect(sample(text, 'lucent_pool_queue_depth', {})).toBe(7);
    expect(sample(text, 'lucent_pool_tasks_in_flight', {})).toBe(2);
    expect(sample(text, 'lucent_active_actors', {})).toBe(3);
    expect(sample(text, 'lucent_pool_overloaded_total', {})).toBe(4);
    expect(sample(text, 'lucent_pool_inline_calls_total', {})).toBe(9);
    stats.queueDepth = 0;
    stats.overloaded = 6;
    actors = 5;
    text = await metrics.text();
    expect(sample(text, 'lucent_pool_queue_depth', {})).toBe(0);
    expect(sample(text, 'lucent_active_actors', {})).toBe(5);
    expect(sample(text, 'lucent_pool_overloaded_total', {})).toBe(6);
  });

  it('adds process metrics only when asked', async () => {
    expect(await new NodeMetrics({ nodeId: 'n' }).text()).not.toContain('lucent_process_');
    expect(await new NodeMetrics({ nodeId: 'n', processMetrics: true }).text()).toContain('lucent_process_');
  });
});

describe('metric families', () => {
  it('bind returns the same child per label set, and counters never go down', async () => {
    const registry = new Registry();
    const family = new CounterFamily('t_total', 'help', ['a']).register(registry);
    const x = family.bind(['x']);
    expect(family.bind(['x'])).toBe(x);
    expect(family.size).toBe(1);
    x.inc();
    x.inc(2);
    x.inc(-5);
    expect(x.value).toBe(3);
    expect(await registry.metrics()).toContain('t_total{a="x"} 3');
  });

  it('histograms ignore non-finite values and sort their bounds', () => {
    const family = new HistogramFamily('h', 'help', [], [1, 0.1, 10]);
    expect([...family.bounds]).toEqual([0.1, 1, 10]);
    const child = family.bind([]);
    child.observe(Number.NaN);
    child.observe(Number.POSITIVE_INFINITY);
    child.observe(100); // above every bound: only +Inf
    expect(child.count).toBe(1);
    expect([...child.counts]).toEqual([0, 0, 0]);
    expect(CALL_DURATION_BUCKETS.length).toBeGreaterThan(10);
  });
});
