/**
 * What a node checks and reports about the work it serves (issue 15): input schemas checked again at the node
 * (the handler gets the schema's output), failed calls logged at `warn` with function, code, correlation id and
 * duration (rate-limited per function and code), and the metrics of actor messages, events, event-handler runs,
 * cluster size and ring share, with the process metrics' prefix written once.
 */
import {
  callEnvelope,
  createRegistry,
  defineFunction,
  EnvelopeCodec,
  EnvelopeKind,
  errorFromWire,
  eventEnvelope,
  eventSubject,
  functionSubject,
  type InputSchema,
  SimulatedClock,
  type WireError,
} from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { LogThrottle } from '../src/log-throttle.js';
import { createNodeLogger } from '../src/logging.js';
import { NodeMetrics } from '../src/metrics/node-metrics.js';
import { RouterMetricsObserver } from '../src/metrics/router-metrics.js';
import { createInlineRunner } from '../src/router/function-runner.js';
import { RoutingRequestHandler } from '../src/router/request-handler.js';
import { subscribeRequestHandler } from '../src/router/router-subscriptions.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';
import { InMemoryTransport } from '../src/transport/in-memory-transport.js';
import { viewOf } from './fixed-view.js';

/** Accepts `{ qty }` with a numeric-string or number qty and hands the handler a number (a transforming schema). */
const qtySchema: InputSchema<{ qty: string | number }, { qty: number }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate(value) {
      const qty = Number((value as { qty?: unknown } | null)?.qty);
      return Number.isFinite(qty) ? { value: { qty } } : { issues: [{ message: 'not a number', path: ['qty'] }] };
    },
  },
};
const seen: unknown[] = [];
const double = defineFunction({ name: 'double', input: qtySchema }, (_ctx, input) => {
  seen.push(input);
  return input.qty * 2;
});
const shipped: unknown[] = [];
const ship = defineFunction({ name: 'ship', handles: 'OrderPlaced', input: qtySchema }, (_ctx, input) => {
  shipped.push(input);
  return input.qty;
});
const boom = defineFunction({ name: 'boom' }, () => {
  throw new RangeError('nope');
});

const codec = new EnvelopeCodec();
const transports: InMemoryTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  seen.length = 0;
});

function node(logs: Record<string, unknown>[]) {
  const bus = new InMemoryBus();
  const transport = new InMemoryTransport(bus);
  transports.push(transport);
  const registry = createRegistry([double, boom, ship]);
  const metrics = new NodeMetrics({ nodeId: 'a' });
  const logger = createNodeLogger({
    nodeId: 'a',
    level: 'info',
    destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const clock = new SimulatedClock();
  const observer = new RouterMetricsObserver(metrics, logger, new LogThrottle({ clock, limit: 2 }));
  const handler = new RoutingRequestHandler({
    nodeId: 'a',
    transport,
    functions: registry,
    runner: createInlineRunner(registry),
    observer,
  });
  subscribeRequestHandler(transport, handler, { nodeId: 'a', functions: registry, coreEvents: true });
  const caller = new InMemoryTransport(bus);
  transports.push(caller);
  /** Calls `name` by name (no client-side schema check), returning the value or the revived error. */
  const call = async (name: string, input: unknown): Promise<unknown> => {
    const answer = codec.decode(
      await caller.request(functionSubject('lucent', name), codec.encode(callEnvelope(name, input)), 5_000),
    );
    return answer.kind === EnvelopeKind.Error ? errorFromWire(answer.payload as WireError) : answer.payload;
  };
  /** Emits event `type` from the caller and waits until the node has handled it. */
  const emit = async (type: string, data: unknown): Promise<void> => {
    caller.send(eventSubject('lucent', type), codec.encode(eventEnvelope(type, data)));
    await caller.flush();
    await bus.idle();
    await handler.drain();
  };
  return { call, emit, metrics, observer, handler };
}

describe('node: input schemas', () => {
  it('checks input again at the node: InvalidInputError without running, else the handler gets the output', async () => {
    const { call } = node([]);
    const bad = (await call('double', { qty: 'many' })) as { code: string; details: { issues: unknown[] } };
    expect(bad.code).toBe('LUCENT_INVALID_INPUT');
    expect(bad.details.issues).toEqual([{ message: 'not a number', path: 'qty' }]);
    expect(seen).toEqual([]);
    expect(await call('double', { qty: '21' })).toBe(42);
    expect(seen).toEqual([{ qty: 21 }]);
  });
});

describe('node: input schemas of event handlers', () => {
  it('runs a handler only on event data that passes its schema, with the schema output', async () => {
    shipped.length = 0;
    const { emit, metrics } = node([]);
    await emit('OrderPlaced', { qty: 'lots' });
    expect(shipped).toEqual([]);
    await emit('OrderPlaced', { qty: '3' });
    expect(shipped).toEqual([{ qty: 3 }]);
    const text = await metrics.text();
    expect(sample(text, 'lucent_event_handler_runs_total', { function: 'ship', outcome: 'error' })).toBe(1);
    expect(sample(text, 'lucent_event_handler_runs_total', { function: 'ship', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'lucent_errors_total', { code: 'LUCENT_INVALID_INPUT' })).toBe(1);
    expect(sample(text, 'lucent_events_total', { type: 'OrderPlaced', outcome: 'dispatched' })).toBe(2);
  });
});

describe('node: failed calls are logged', () => {
  it('logs call.failed at warn with function, code, correlation id and duration, rate-limited per function and code', async () => {
    const logs: Record<string, unknown>[] = [];
    const { call } = node(logs);
    for (let i = 0; i < 5; i++) await call('boom', null);
    await call('double', { qty: 'x' });
    const failed = logs.filter((l) => l.msg === 'call.failed');
    // boom: 2 lines (limit 2 per window), then double's first failure has its own budget.
    expect(failed.map((l) => [l.function, l.code])).toEqual([
      ['boom', 'LUCENT_HANDLER'],
      ['boom', 'LUCENT_HANDLER'],
      ['double', 'LUCENT_INVALID_INPUT'],
    ]);
    for (const line of failed) {
      expect(line.level).toBe('warn');
      expect(typeof line.correlationId).toBe('string');
      expect((line.correlationId as string).length).toBeGreaterThan(0);
      expect(typeof line.durationMs).toBe('number');
    }
  });
});

/** The value of `name{…labels}` in exposition `text`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('node metrics', () => {
  it('prefixes process metrics once (lucent_process_cpu…, not lucent_process_process_…)', async () => {
    const text = await new NodeMetrics({ nodeId: 'n', processMetrics: true }).text();
    expect(text).toContain('lucent_process_cpu_user_seconds_total');
    expect(text).toContain('lucent_nodejs_eventloop_lag_seconds');
    expect(text).not.toContain('process_process_');
  });

  it('counts actor messages by type and outcome, events by type and outcome, event-handler runs', async () => {
    const { observer, metrics } = node([]);
    observer.completed(EnvelopeKind.Ask, 'cart/c-1', 1, '', 'id1');
    observer.completed(EnvelopeKind.Tell, 'cart/c-2', 0, '', 'id2');
    observer.completed(EnvelopeKind.Ask, 'cart/c-1', 1, 'LUCENT_TIMEOUT', 'id3');
    observer.completed(EnvelopeKind.Ask, 'cart/c-1', 1, 'LUCENT_INVALID_MESSAGE', 'id4');
    // Unknown types get no series: senders choose those names.
    observer.completed(EnvelopeKind.Ask, 'ghost/g', 0, 'LUCENT_UNKNOWN_ACTOR_TYPE', 'id5');
    observer.eventReceived('OrderPlaced', 2);
    observer.eventReceived('Stray', 0);
    observer.completed(EnvelopeKind.Event, 'ship', 3, '', '');
    const text = await metrics.text();
    expect(sample(text, 'lucent_actor_messages_total', { type: 'cart', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'lucent_actor_messages_total', { type: 'cart', outcome: 'timeout' })).toBe(1);
    expect(sample(text, 'lucent_actor_messages_total', { type: 'cart', outcome: 'error' })).toBe(1);
    expect(text).not.toContain('type="ghost"');
    expect(sample(text, 'lucent_events_total', { type: 'OrderPlaced', outcome: 'dispatched' })).toBe(1);
    expect(sample(text, 'lucent_events_total', { type: 'Stray', outcome: 'unhandled' })).toBe(1);
    expect(sample(text, 'lucent_event_handler_runs_total', { function: 'ship', outcome: 'ok' })).toBe(1);
  });

  it("reports the cluster's size and this node's share of the ring", async () => {
    const metrics = new NodeMetrics({ nodeId: 'a' });
    const view = viewOf('a', 'b', 'c', 'd');
    metrics.observeCluster(() => view);
    const text = await metrics.text();
    expect(sample(text, 'lucent_cluster_members', {})).toBe(4);
    const share = sample(text, 'lucent_ring_share', {}) ?? -1;
    expect(share).toBeCloseTo(view.ring.shares().get('a') ?? -1, 9);
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.4);
  });
});
