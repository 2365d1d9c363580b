/**
 * Load reports in a node: the sampler's arithmetic over injected probes (simulated time), the wire codec, the
 * overload gate of the router, and a membership folding every node's report into its view.
 */
import { SimulatedClock } from '@lucent/actors/internal';
import {
  callEnvelope,
  createRegistry,
  DecodeError,
  defineFunction,
  EnvelopeCodec,
  hash,
  isOverloaded,
  metricsSubject,
  type NodeLoadReport,
  OverloadedError,
  pin,
  RoutingStates,
  roundRobin,
  sticky,
} from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeLoadReport, encodeLoadReport } from '../src/load/load-report-codec.js';
import { type LoadProbes, LoadSampler } from '../src/load/load-sampler.js';
import { Membership } from '../src/membership/membership.js';
import { MembershipRole } from '../src/membership/membership-options.js';
import { idleLoad, overloadRefusal } from '../src/router/overload-gate.js';
import { decideRoute } from '../src/router/route-decision.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';
import { InMemoryTransport } from '../src/transport/in-memory-transport.js';
import type { Transport } from '../src/transport/transport.js';
import { viewOf } from './fixed-view.js';

/** Probes whose counters the test moves by hand. */
function fakeProbes() {
  const state = {
    ...{ idle: 0, active: 0, cpuMicros: 0, running: 0, queued: 0, finished: 0, succeeded: 0, failed: 0, rss: 100 },
    degraded: [] as readonly string[],
  };
  const probes: LoadProbes = {
    eventLoop: () => ({ idle: state.idle, active: state.active }),
    cpuMicros: () => state.cpuMicros,
    cores: 2,
    pool: () => ({ threads: 2, running: state.running, queued: state.queued, finished: state.finished }),
    rssBytes: () => state.rss,
    rssLimitBytes: 1000,
    activeActors: () => 7,
    answers: () => ({ succeeded: state.succeeded, failed: state.failed }),
    degraded: () => state.degraded,
  };
  return { state, probes };
}

describe('LoadSampler', () => {
  it('measures each interval from cumulative counters and writes the score for the router', () => {
    const clock = new SimulatedClock(0);
    const { state, probes } = fakeProbes();
    const local = idleLoad();
    const sampler = new LoadSampler('n1', probes, local);
    clock.advance(1000);
    // Over 1 s: loop 25 % active, 1 s of CPU on 2 cores, 90 answers and 10 errors, 1 of 2 threads busy.
    Object.assign(state, { idle: 750, active: 250, cpuMicros: 1_000_000, succeeded: 90, failed: 10, running: 1 });
    const first = sampler.sample(clock.now(), clock.wallNow(), 0);
    expect(first).toMatchObject({
      node: 'n1',
      eventLoopUtilization: 0.25,
      cpu: 0.5,
      poolUtilization: 0.5,
      poolThreads: 2,
      activeActors: 7,
      callsPerSecond: 100,
      errorRate: 0.1,
    });
    expect(first.score).toBeCloseTo(0.4, 12);
    expect(local.score).toBe(first.score);
    // The next interval: saturated with a backlog of 16 (8 per thread) -> overloaded.
    clock.advance(500);
    Object.assign(state, { idle: 750, active: 750, cpuMicros: 2_000_000, running: 2, queued: 16 });
    const second = sampler.sample(clock.now(), clock.wallNow(), 0);
    expect(second).toMatchObject({ eventLoopUtilization: 1, cpu: 1, callsPerSecond: 0, errorRate: 0 });
    expect(second.score).toBe(1);
    expect(local.score).toBe(1);
    expect(sampler.latest).toBe(second);
  });
});

describe('LoadSampler: a pool starting its workers', () => {
  it('does not score as saturated while its tasks wait for starting workers, and does once the stall outlasts a start', () => {
    const clock = new SimulatedClock(0);
    const { state, probes } = fakeProbes();
    const sampler = new LoadSampler('n1', probes, idleLoad());
    // A restarted pool: both threads' tasks are "in flight" to workers still loading, calls queue, nothing answers.
    const tick = (ms: number) => {
      clock.advance(ms);
      state.idle += ms; // an idle main thread, no CPU: only the pool says anything
      return sampler.sample(clock.now(), clock.wallNow(), 0).score;
    };
    Object.assign(state, { running: 2, queued: 16 });
    expect(tick(1_000)).toBeCloseTo(0.2, 12); // the backlog only: not overloaded
    expect(isOverloaded(tick(1_000))).toBe(false); // still within the start grace
    // The workers are up: tasks finish, calls are answered; threads busy count again.
    Object.assign(state, { finished: 40, succeeded: 40, queued: 0 });
    expect(tick(1_000)).toBeCloseTo(0.8, 12);
    // Later, long tasks between two finishes (a pool that has served is not starting): saturation at once.
    Object.assign(state, { queued: 16 });
    expect(tick(1_000)).toBeCloseTo(1, 12);
  });

  it('counts a stall past the start grace as saturation', () => {
    const clock = new SimulatedClock(0);
    const { state, probes } = fakeProbes();
    const sampler = new LoadSampler('n1', probes, idleLoad());
    const tick = (ms: number) => {
      clock.advance(ms);
      state.idle += ms;
      return sampler.sample(clock.now(), clock.wallNow(), 0).score;
    };
    Object.assign(state, { running: 2, queued: 16 });
    expect(isOverloaded(tick(1_000))).toBe(false);
    expect(isOverloaded(tick(1_000))).toBe(false);
    expect(tick(1_000)).toBeCloseTo(1, 12);
  });
});

describe('load report codec', () => {
  const codec = new EnvelopeCodec();
  const report: NodeLoadReport = {
    node: 'n1',
    at: 5,
    eventLoopUtilization: 0.1,
    cpu: 0.2,
    poolUtilization: 0.3,
    poolQueueDepth: 4,
    poolThreads: 2,
    rssBytes: 10,
    rssLimitBytes: 100,
    activeActors: 3,
    callsPerSecond: 50,
    errorRate: 0,
    score: 0.3,
    degraded: ['slow'],
  };

  it('round-trips a report and refuses anything else with DecodeError', () => {
    expect(decodeLoadReport(codec, encodeLoadReport(codec, report))).toEqual(report);
    for (const bad of [
      { ...report, cpu: -1 },
      { ...report, score: Number.NaN },
      { ...report, node: '' },
    ]) {
      expect(() => decodeLoadReport(codec, encodeLoadReport(codec, bad))).toThrow(
        expect.objectContaining({ code: DecodeError.code }),
      );
    }
  });
});

describe('the overload gate', () => {
  const owned = defineFunction({ name: 'owned', routing: hash('k') }, (_ctx, x: unknown) => x);
  const stuck = defineFunction({ name: 'stuck', routing: sticky('k') }, (_ctx, x: unknown) => x);
  const spread = defineFunction({ name: 'spread', routing: roundRobin() }, (_ctx, x: unknown) => x);
  const tagged = defineFunction({ name: 'tagged', routing: pin('t') }, (_ctx, x: unknown) => x);

  it('refuses owned (hash, sticky) calls at load >= 0.9 with a retry-after, and nothing else', () => {
    const busy = { score: 0.93, retryAfterMs: 250 };
    const refusal = overloadRefusal(owned, busy, 'n1', 'owned');
    expect(OverloadedError.is(refusal)).toBe(true);
    expect(refusal!.details).toEqual({
      node: 'n1',
      target: 'owned',
      reason: 'node overloaded (load 0.93)',
      load: 0.93,
      retryAfterMs: 250,
    });
    expect(OverloadedError.is(overloadRefusal(stuck, busy, 'n1', 'stuck'))).toBe(true);
    expect(overloadRefusal(spread, busy, 'n1', 'spread')).toBeUndefined();
    expect(overloadRefusal(tagged, busy, 'n1', 'tagged')).toBeUndefined();
    expect(overloadRefusal(owned, { score: 0.89, retryAfterMs: 250 }, 'n1', 'owned')).toBeUndefined();
  });

  it('is part of the router decision: the owner rejects, a non-owner still forwards', () => {
    const view = viewOf('a', 'b');
    const key = ['x', 'y', 'z', 'w', 'v'].find((k) => view.ring.owner(k) === 'a')!;
    const node = (nodeId: string, score: number) => ({
      nodeId,
      functions: createRegistry([owned]),
      hopLimit: 3,
      hostsActors: false,
      routingStates: new RoutingStates(),
      load: { score, retryAfterMs: 100 },
    });
    const envelope = callEnvelope('owned', { k: key });
    const decision = decideRoute(envelope, view, node('a', 0.95), 0);
    expect(decision.type).toBe('reject');
    expect(decision.type === 'reject' && decision.error.code).toBe(OverloadedError.code);
    expect(decideRoute(envelope, view, node('b', 0.95), 0)).toEqual({ type: 'node', node: 'a' });
    expect(decideRoute(envelope, view, node('a', 0.5), 0).type).toBe('serve');
  });
});

describe('membership folds load reports into its view', () => {
  const open: { membership: Membership; transport: Transport }[] = [];
  afterEach(async () => {
    for (const { membership, transport } of open.splice(0)) {
      await membership.stop();
      await transport.close();
    }
  });

  it('an observer (a client) sees the score a node published on its metrics subject', async () => {
    const clock = new SimulatedClock(0);
    const bus = new InMemoryBus();
    const make = (options: { nodeId?: string; role?: MembershipRole }) => {
      const transport = new InMemoryTransport(bus, { cluster: 'lr' });
      const membership = new Membership({ transport, cluster: 'lr', clock, heartbeatIntervalMs: 100, ...options });
      open.push({ membership, transport });
      return { membership, transport };
    };
    const node = make({ nodeId: 'n1' });
    const client = make({ role: MembershipRole.Observer });
    await node.membership.start();
    await client.membership.start();
    const settle = async () => {
      for (let i = 0; i < 6; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    };
    await settle();
    expect(client.membership.view.byId.get('n1')!.loadScore).toBe(0);
    const codec = new EnvelopeCodec();
    const report = { ...decodeLoadReport(codec, encodeLoadReport(codec, sample('n1', 0.75))) };
    node.transport.send(metricsSubject('lr', 'n1'), encodeLoadReport(codec, report));
    await settle();
    expect(client.membership.view.byId.get('n1')!.loadScore).toBe(0.75);
    expect(client.membership.loadReports().get('n1')).toEqual(report);
    // A report of a node that is not a member changes no view.
    node.transport.send(metricsSubject('lr', 'ghost'), encodeLoadReport(codec, sample('ghost', 0.5)));
    await settle();
    expect(client.membership.view.byId.has('ghost')).toBe(false);
    expect(client.membership.loadReports().has('ghost')).toBe(false);
  });
});

function sample(node: string, score: number): NodeLoadReport {
  return {
    node,
    at: 1,
    eventLoopUtilization: 0,
    cpu: 0,
    poolUtilization: 0,
    poolQueueDepth: 0,
    poolThreads: 1,
    rssBytes: 1,
    rssLimitBytes: 10,
    activeActors: 0,
    callsPerSecond: 0,
    errorRate: 0,
    score,
    degraded: [],
  };
}

describe('FunctionLatencies', () => {
  it('records served calls per function name and reports the degraded ones per interval', async () => {
    const { FunctionLatencies, withFunctionLatencies } = await import('../src/load/function-latency.js');
    const latencies = new FunctionLatencies();
    const seen: string[] = [];
    const observer = withFunctionLatencies({ completed: (_kind, target) => seen.push(target) }, latencies);
    const { EnvelopeKind } = await import('@lucent/core/internal');
    const interval = (ms: number, calls = 20) => {
      for (let i = 0; i < calls; i++)
        observer.completed?.(EnvelopeKind.Call, i % 2 === 0 ? 'quote' : 'quote@2', ms, '', '', '');
      // Failures and asks are not run times of a function.
      observer.completed?.(EnvelopeKind.Call, 'quote', 1000, 'LUCENT_TIMEOUT', '', '');
      observer.completed?.(EnvelopeKind.Ask, 'quote', 1000, '', '', '');
      return latencies.endInterval();
    };
    for (let i = 0; i < 3; i++) expect(interval(2)).toEqual([]);
    expect(latencies.baselineMs('quote')).toBe(2);
    expect(interval(3)).toEqual([]); // 1.5x, but within the noise floor
    expect(interval(12)).toEqual(['quote']);
    expect(latencies.degraded).toEqual(['quote']);
    expect(seen.length).toBeGreaterThan(80); // the wrapped observer still sees every completion
  });
});
